package inbox

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/emersion/go-imap/v2"
)

// uidRanges is a search result normalised for paging: static, disjoint
// ranges with Start <= Stop, in ascending order.
type uidRanges []imap.UIDRange

// newUIDRanges normalises a server's search result. "*" has no place in one;
// a server that sends it anyway gets that range ignored rather than trusted.
func newUIDRanges(all imap.NumSet) (uidRanges, error) {
	if all == nil {
		return nil, nil
	}
	set, ok := all.(imap.UIDSet)
	if !ok || imap.IsSearchRes(set) {
		return nil, fmt.Errorf("search returned %T %q, want a UID set", all, all.String())
	}
	rs := make(uidRanges, 0, len(set))
	for _, r := range set {
		if r.Start == 0 || r.Stop == 0 {
			continue
		}
		if r.Start > r.Stop {
			r.Start, r.Stop = r.Stop, r.Start
		}
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b imap.UIDRange) int { return cmp.Compare(a.Start, b.Start) })
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && (r.Start <= out[n-1].Stop || out[n-1].Stop == r.Start-1) {
			out[n-1].Stop = max(out[n-1].Stop, r.Stop)
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// next returns up to n UIDs greater than after, in ascending order.
// Filtering by after matters: "UID SEARCH UID N:*" always matches the
// highest message, even when its UID is below N. The cost is bounded by n,
// whatever the server claims (a range 1:4294967295 is no threat).
func (rs uidRanges) next(after uint32, n int) []imap.UID {
	if after == math.MaxUint32 {
		return nil
	}
	i, _ := slices.BinarySearchFunc(rs, imap.UID(after), func(r imap.UIDRange, t imap.UID) int {
		return cmp.Compare(r.Stop, t+1) // first range whose Stop > after
	})
	var out []imap.UID
	for ; i < len(rs) && len(out) < n; i++ {
		lo, hi := rs[i].Start, rs[i].Stop
		if uint32(lo) <= after {
			lo = imap.UID(after + 1)
		}
		for u := lo; len(out) < n; u++ {
			out = append(out, u)
			if u == hi {
				break
			}
		}
	}
	return out
}

// item is one UID of a batch with what to do about it.
type item struct {
	uid  imap.UID
	size int64 // RFC822.SIZE as reported
	kind itemKind
}

type itemKind int

const (
	itemSkip     itemKind = iota // gone, or already carries our keyword: only the cursor moves
	itemSmall                    // fetch whole, with others
	itemOversize                 // fetch the header only
)

// plan decides, per UID in ascending order, how to take it, from the
// metadata the server returned.
func plan(uids []imap.UID, meta map[imap.UID]msgMeta, maxSize int64) []item {
	items := make([]item, 0, len(uids))
	for _, uid := range uids {
		m, ok := meta[uid]
		it := item{uid: uid, size: m.size}
		switch {
		case !ok || m.processed:
			it.kind = itemSkip
		case m.size > maxSize:
			it.kind = itemOversize
		default:
			it.kind = itemSmall
		}
		items = append(items, it)
	}
	return items
}
