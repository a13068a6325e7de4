package all

import "testing"

// TestEmulatorsMatchTypes: each emulator stands in for a registered
// provider type, one emulator per type, each on its own default address.
func TestEmulatorsMatchTypes(t *testing.T) {
	reg := Registry()
	names, addrs := map[string]bool{}, map[string]bool{}
	for _, k := range Emulators() {
		if _, ok := reg.Lookup(k.Name()); !ok {
			t.Errorf("emulator %q names no registered provider type (have %v)", k.Name(), reg.Names())
		}
		if names[k.Name()] {
			t.Errorf("two emulators for type %q", k.Name())
		}
		if addrs[k.DefaultAddr()] {
			t.Errorf("emulator %q: default address %s is taken", k.Name(), k.DefaultAddr())
		}
		names[k.Name()], addrs[k.DefaultAddr()] = true, true
	}
}
