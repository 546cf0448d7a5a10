package console

import "time"

// SetSettle sets how long a change of h waits for the projection when its
// progress cannot be asked (5 s in serve).
func SetSettle(h *Hub, d time.Duration) { h.settle = d }

// SetRendering sets how long after taking a cursor a page of h counts as
// open (30 s in serve).
func SetRendering(h *Hub, d time.Duration) { h.rendering = d }

// LetGo is the oldest cursor a stream of h can start from: changes before
// it were let go unread.
func LetGo(h *Hub) uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.from
}
