package dnspod

import (
	"strings"
	"testing"

	"github.com/dnssync/dnssync/internal/credentials"
)

func TestLoadToken(t *testing.T) {
	env := func(v string) credentials.Source {
		return credentials.Source{Env: func(k string) string {
			if k == EnvToken {
				return v
			}
			return ""
		}}
	}
	if _, err := LoadToken("dnspod", env("nocomma")); err == nil || strings.Contains(err.Error(), "nocomma") {
		t.Fatalf("bad token form: err = %v (must not echo the token)", err)
	}
	tok, err := LoadToken("dnspod", env("1,abc"))
	if err != nil || tok.Reveal() != "1,abc" {
		t.Fatalf("got %v, %v", tok, err)
	}
}
