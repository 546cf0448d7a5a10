package console

import "time"

// SetSettle sets how long a change of h waits for the projection when its
// progress cannot be asked (5 s in serve).
func SetSettle(h *Hub, d time.Duration) { h.settle = d }
