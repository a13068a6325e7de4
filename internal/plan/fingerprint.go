package plan

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math"

	"github.com/dnssync/dnssync/internal/model"
)

// digest streams state into SHA-256 field by field: strings with their
// length, numbers as varints, every list with its length, every optional
// part with a presence byte, so that different states never encode the
// same. It replaces encoding the whole state as JSON first, which for a
// zone of 100,000 records cost more than hashing it. A test keeps it in
// step with the model's fields (TestFingerprintCoversEveryField).
type digest struct {
	h   hash.Hash
	buf []byte
}

func newDigest(domain string) *digest {
	w := &digest{h: sha256.New(), buf: make([]byte, 0, 64<<10)}
	w.str(domain)
	return w
}

func (w *digest) flush() {
	if len(w.buf) > 0 {
		w.h.Write(w.buf)
		w.buf = w.buf[:0]
	}
}

func (w *digest) room() {
	if len(w.buf) > 60<<10 {
		w.flush()
	}
}

func (w *digest) str(s string) {
	w.room()
	w.buf = binary.AppendUvarint(w.buf, uint64(len(s)))
	if len(s) > 4<<10 {
		w.flush()
		w.h.Write([]byte(s))
		return
	}
	w.buf = append(w.buf, s...)
}

func (w *digest) int(n int) { w.room(); w.buf = binary.AppendVarint(w.buf, int64(n)) }

func (w *digest) bool(b bool) {
	w.room()
	if b {
		w.buf = append(w.buf, 1)
	} else {
		w.buf = append(w.buf, 0)
	}
}

func (w *digest) float(f float64) {
	w.room()
	w.buf = binary.BigEndian.AppendUint64(w.buf, math.Float64bits(f))
}

func (w *digest) strs(ss []string) {
	w.int(len(ss))
	for _, s := range ss {
		w.str(s)
	}
}

func (w *digest) pos(p model.Pos) { w.str(p.File); w.int(p.Line); w.int(p.Col) }

func (w *digest) record(r *model.Record) {
	w.str(r.Name)
	w.str(r.Type)
	w.str(r.Line)
	w.str(r.Value)
	w.int(r.MX)
	w.int(r.TTL)
	w.bool(r.Enabled)
	w.str(r.ID)
	w.pos(r.Pos)
	w.bool(r.System)
}

func (w *digest) records(rs []model.Record) {
	w.int(len(rs))
	for i := range rs {
		w.record(&rs[i])
	}
}

func (w *digest) hosts(hs []model.DNSHost) {
	w.int(len(hs))
	for _, h := range hs {
		w.str(h.Host)
		w.strs(h.IPs)
		w.pos(h.Pos)
	}
}

func (w *digest) live(l *model.Live) {
	w.int(len(l.Domains))
	for i := range l.Domains {
		d := &l.Domains[i]
		w.str(d.Name)
		w.bool(d.Registrar != nil)
		if r := d.Registrar; r != nil {
			w.str(r.InstanceID)
			w.strs(r.Nameservers)
			w.bool(r.AliyunDNS)
			w.hosts(r.DNSHosts)
		}
		w.bool(d.DNS != nil)
		if z := d.DNS; z != nil {
			w.str(z.DomainID)
			w.str(z.Grade)
			w.int(z.MinTTL)
			w.strs(z.Lines)
			w.records(z.Records)
		}
	}
}

func (w *digest) desired(d *model.Desired) {
	w.int(len(d.Domains))
	for i := range d.Domains {
		dd := &d.Domains[i]
		w.str(dd.Name)
		w.str(dd.Unicode)
		w.str(dd.File)
		w.pos(dd.Pos)
		w.bool(dd.Registrar != nil)
		if r := dd.Registrar; r != nil {
			w.str(r.Provider)
			w.strs(r.Nameservers)
			w.bool(r.AliyunDNS)
			w.hosts(r.DNSHosts)
			w.bool(r.ManageHosts)
			w.pos(r.Pos)
			w.pos(r.NSPos)
		}
		w.bool(dd.DNS != nil)
		if z := dd.DNS; z != nil {
			w.str(z.Provider)
			w.int(z.TTL)
			w.str(string(z.Policy))
			w.int(len(z.Ignore))
			for _, ig := range z.Ignore {
				w.str(ig.Name)
				w.str(ig.Type)
				w.str(ig.Value)
				w.pos(ig.Pos)
			}
			w.records(z.Records)
			w.float(z.Thresholds.UpdatePercent)
			w.float(z.Thresholds.DeletePercent)
			w.int(z.Thresholds.MinExisting)
			w.pos(z.Pos)
		}
	}
}

func (w *digest) sum() string {
	w.flush()
	return "sha256:" + hex.EncodeToString(w.h.Sum(nil))
}
