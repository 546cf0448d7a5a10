package projection

// Gathered is how many events wait in the request's open group, and
// Tracked how many requests have a group waiting or writing.
func Gathered(h *Handler, id string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if p := h.reqs[id]; p != nil && p.open != nil {
		return len(p.open.msgs)
	}
	return 0
}

func Tracked(h *Handler) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.reqs)
}
