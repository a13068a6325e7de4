package sandbox

import (
	"encoding/json"
	"io"
	"net"
	"net/http"

	"github.com/dnssync/dnssync/internal/sandbox/emulator"
)

// admin serves the loopback-only endpoints under /_sandbox/ of one
// emulator's listener, for black-box tests that drive the real binary:
//
//	GET    /_sandbox/log[?action=A]  the request log (JSON: provider, count, entries)
//	DELETE /_sandbox/log             empty the request log
//	GET    /_sandbox/state           the emulator's state (its part of the state file)
//	PUT    /_sandbox/state           replace it (drift injection), then save
func (s *Sandbox) admin(name string, emu emulator.Emulator) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_sandbox/log", func(w http.ResponseWriter, r *http.Request) {
		entries := emu.RequestLog(r.URL.Query().Get("action"))
		if entries == nil {
			entries = []any{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"provider": name, "count": len(entries), "entries": entries})
	})
	mux.HandleFunc("DELETE /_sandbox/log", func(w http.ResponseWriter, r *http.Request) {
		emu.ResetRequestLog()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sandbox/state", func(w http.ResponseWriter, r *http.Request) {
		b, err := emu.ExportState()
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	})
	mux.HandleFunc("PUT /_sandbox/state", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<20))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		s.mutateMu.Lock()
		err = emu.ImportState(b)
		s.mutateMu.Unlock()
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		if err := s.Persist(); err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The listener is loopback already; checking the peer as well keeps
		// the endpoints closed should the sandbox ever sit behind a proxy.
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "admin endpoints are loopback only"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
