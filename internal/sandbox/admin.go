package sandbox

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
)

// admin serves the loopback-only endpoints under /_sandbox/ of one
// emulator's listener, for black-box tests that drive the real binary:
//
//	GET    /_sandbox/log[?action=A]  the request log (JSON: provider, count, entries)
//	DELETE /_sandbox/log             empty the request log
//	GET    /_sandbox/state           the emulator's state (Export format)
//	PUT    /_sandbox/state           replace it (drift injection), then save
func (s *Sandbox) admin(kind string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_sandbox/log", func(w http.ResponseWriter, r *http.Request) {
		action := r.URL.Query().Get("action")
		var entries []any
		switch kind {
		case TypeAliyun:
			for _, e := range s.aliyun.Log() {
				if action == "" || e.Action == action {
					entries = append(entries, e)
				}
			}
		case TypeDNSPod:
			for _, e := range s.dnspod.Log() {
				if action == "" || e.Action == action {
					entries = append(entries, e)
				}
			}
		}
		if entries == nil {
			entries = []any{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"provider": kind, "count": len(entries), "entries": entries})
	})
	mux.HandleFunc("DELETE /_sandbox/log", func(w http.ResponseWriter, r *http.Request) {
		if kind == TypeAliyun {
			s.aliyun.ResetLog()
		} else {
			s.dnspod.ResetLog()
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sandbox/state", func(w http.ResponseWriter, r *http.Request) {
		var b []byte
		var err error
		if kind == TypeAliyun {
			b, err = s.aliyun.Export()
		} else {
			b, err = s.dnspod.MarshalState()
		}
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
		if kind == TypeAliyun {
			err = s.aliyun.Import(b)
		} else {
			err = s.dnspod.UnmarshalState(b)
		}
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
