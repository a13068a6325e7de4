package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/spec"
)

// slowReader is an instance whose zone reads take a while; it records
// how many ran at once.
type slowReader struct {
	cfg   providers.Config
	slots int // 0: no ReadSlots

	mu        sync.Mutex
	now, most int
}

func (s *slowReader) Config() providers.Config   { return s.cfg }
func (s *slowReader) Caps() providers.Caps       { return providers.Caps{} }
func (s *slowReader) Planner() providers.Planner { return nil }
func (s *slowReader) Submit(context.Context, plan.Batch) (providers.Task, error) {
	return providers.Task{}, nil
}
func (s *slowReader) Poll(context.Context, providers.Task) (providers.TaskStatus, error) {
	return providers.TaskStatus{}, nil
}
func (s *slowReader) ReadZone(ctx context.Context, domain string) (*model.LiveDNS, error) {
	s.mu.Lock()
	s.now++
	s.most = max(s.most, s.now)
	s.mu.Unlock()
	time.Sleep(50 * time.Millisecond)
	s.mu.Lock()
	s.now--
	s.mu.Unlock()
	return &model.LiveDNS{}, nil
}

type slottedReader struct{ *slowReader }

func (s slottedReader) ReadSlots() int { return s.slots }

// TestReadSlots: zone reads run within the provider's concurrency, or
// within its ReadSlots when it declares more.
func TestReadSlots(t *testing.T) {
	for _, c := range []struct {
		slots, want int
	}{{0, 2}, {6, 6}, {1, 2}} {
		t.Run(fmt.Sprint("slots=", c.slots), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := &slowReader{cfg: providers.Config{Name: "p", Concurrency: 2}, slots: c.slots}
				var inst providers.Instance = r
				if c.slots > 0 {
					inst = slottedReader{r}
				}
				pass := NewWith(spec.DefaultConfig(t.TempDir(), nil), map[string]providers.Instance{"p": inst}, nil)
				desired := &model.Desired{}
				for i := range 12 {
					desired.Domains = append(desired.Domains, model.Domain{Name: fmt.Sprintf("d%d.test", i), DNS: &model.DNS{Provider: "p"}})
				}
				if _, err := pass.ReadLive(t.Context(), desired); err != nil {
					t.Fatal(err)
				}
				if r.most != c.want {
					t.Errorf("%d reads at once, want %d", r.most, c.want)
				}
			})
		})
	}
}
