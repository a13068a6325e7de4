package dnspod

import (
	"fmt"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodpack"
)

// This file and pair.go are DNSPod's packer: they turn the core's neutral
// zone differences into Batch.Record.Create, Batch.Record.Modify and
// Record.Remove calls, pairing leftover live and desired records into
// modifications where that saves calls. The grouping, the create sets
// shared across domains and the ordering that keeps every intermediate
// state within DNSPod's rules are dnspodpack's (docs/PLANNING.md).

// planRecords pairs and packs the zones until every cell can be ordered.
func planRecords(zones []*zone, opts planOpts) *dnspodpack.Plan {
	pk := dnspodpack.NewPacker(zones, dnspodpack.Limits{Modify: opts.MaxModifyIDs, Create: opts.MaxCreateItems},
		dnspodpack.IdentityItem)
	pk.Describe = func(cur, _ model.Record, it dnspodpack.Item, e error) error {
		return fmt.Errorf("%s %s=%s: %w", cur, it.Field, it.To, e)
	}
	for {
		newPairer(zones, opts, pk.ExclL, pk.ExclD).run()
		if res, again := pk.Attempt(); !again {
			return res
		}
	}
}

// recordBatches places the batches in the records phases: removals that
// clear conflicts, the write levels, then the remaining removals, one
// Record.Remove each.
func recordBatches(zones []*zone, rp *dnspodpack.Plan, change map[*dnspodpack.Op]*plan.Change) []providers.PackedBatch {
	var out []providers.PackedBatch
	for _, early := range []bool{true, false} {
		for _, o := range rp.Ops {
			if o.Kind != plan.RecordDelete || o.Early != early {
				continue
			}
			pb := providers.PackedBatch{Phase: providers.PhaseRecordsDelete, Stage: "records-delete",
				Batch: NewBatch(o.Z.Provider, OpRemove, []string{o.Z.Name},
					Payload{DomainIDs: []string{o.Z.DomainID}, RecordIDs: []string{o.Before().ID}}),
				Changes: []*plan.Change{change[o]}}
			if early {
				pb.Phase, pb.Stage = providers.PhaseRecordsClear, "records-clear"
			}
			out = append(out, pb)
		}
		if !early {
			break
		}
		for _, ch := range rp.Chunks {
			name := "records"
			if rp.Levels > 1 {
				name = fmt.Sprintf("records-%d", ch.Level)
			}
			pb := chunkBatch(zones, rp, ch, change)
			pb.Phase, pb.Step, pb.Stage, pb.Task = providers.PhaseRecords, ch.Level-1, name, true
			out = append(out, pb)
		}
	}
	return out
}

func chunkBatch(zones []*zone, rp *dnspodpack.Plan, ch *dnspodpack.Chunk, change map[*dnspodpack.Op]*plan.Change) providers.PackedBatch {
	var p Payload
	var zs []int
	op := OpModify
	if ch.Kind == dnspodpack.ChunkCreate {
		op = OpCreate
		zs = ch.Zones
		p.Records = ch.Recs
	} else {
		p.Field, p.To, p.Value, p.MX = ch.G.Field, ch.G.To, ch.G.Value, ch.G.MX
		for _, oi := range ch.Ops {
			o := rp.Ops[oi]
			p.RecordIDs = append(p.RecordIDs, o.Before().ID)
			if len(zs) == 0 || zs[len(zs)-1] != o.Z.Idx {
				zs = append(zs, o.Z.Idx)
			}
		}
	}
	var domains []string
	for _, zi := range zs {
		domains = append(domains, zones[zi].Name)
		p.DomainIDs = append(p.DomainIDs, zones[zi].DomainID)
	}
	pb := providers.PackedBatch{Batch: NewBatch(ch.Provider, op, domains, p)}
	for _, oi := range ch.Ops {
		pb.Changes = append(pb.Changes, change[rp.Ops[oi]])
	}
	return pb
}
