package devmail

import (
	"container/list"
	"sync"

	"github.com/emersion/go-imap/v2"
)

// bodyCache keeps the most recently used raw messages of a disk-backed
// store, up to a number of bytes, so that memory does not grow with the
// mail kept. New mail goes in on delivery: acctflow's inbox reader fetches
// it moments later. The slices it returns are shared and never modified.
type bodyCache struct {
	max int64

	mu    sync.Mutex
	used  int64
	order *list.List // of *cacheEntry, most recently used first
	items map[cacheKey]*list.Element
}

type cacheKey struct {
	mb  *mailbox
	uid imap.UID
}

type cacheEntry struct {
	key cacheKey
	raw []byte
}

func newBodyCache(max int64) *bodyCache {
	return &bodyCache{max: max, order: list.New(), items: make(map[cacheKey]*list.Element)}
}

func (c *bodyCache) get(k cacheKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.items[k]
	if e == nil {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).raw, true
}

// put adds raw, evicting the least recently used bodies beyond max. A body
// larger than max is not kept.
func (c *bodyCache) put(k cacheKey, raw []byte) {
	size := int64(len(raw))
	if size > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.items[k]; e != nil {
		c.order.MoveToFront(e)
		return
	}
	c.items[k] = c.order.PushFront(&cacheEntry{key: k, raw: raw})
	c.used += size
	for c.used > c.max {
		c.removeLocked(c.order.Back())
	}
}

func (c *bodyCache) remove(k cacheKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.items[k]; e != nil {
		c.removeLocked(e)
	}
}

// removeMailbox drops every body of mb (a deleted mailbox).
func (c *bodyCache) removeMailbox(mb *mailbox) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.items {
		if k.mb == mb {
			c.removeLocked(e)
		}
	}
}

func (c *bodyCache) removeLocked(e *list.Element) {
	ent := c.order.Remove(e).(*cacheEntry)
	delete(c.items, ent.key)
	c.used -= int64(len(ent.raw))
}

// bytes reports what the cache holds (tests, benchmarks).
func (c *bodyCache) bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}
