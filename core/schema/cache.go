package schema

import (
	"container/list"
	"crypto/sha256"
	"encoding/json"
	"sync"
	"sync/atomic"
)

// DefaultCacheSize is how many compiled schemas a cache of NewCache(0)
// holds.
const DefaultCacheSize = 4096

// Cache holds compiled schemas by the SHA-256 of their text, so that a
// schema read again unchanged is compiled once: at most its size of them,
// the least recently used dropped first. It is safe for concurrent use; the
// schemas it hands out are shared, which Schema allows (validation keeps
// its state per call and writes nothing into the compiled schema). A text
// that does not compile is not kept.
type Cache struct {
	mu       sync.Mutex
	size     int
	index    map[[sha256.Size]byte]*list.Element
	order    *list.List // of *cached, most recently used first
	compiles atomic.Int64
}

// cached is one schema text's compilation, done once by whichever caller
// comes first while the others wait for it.
type cached struct {
	key    [sha256.Size]byte
	once   sync.Once
	schema *Schema
	err    error
}

// NewCache returns an empty cache of at most size schemas
// (DefaultCacheSize when size is not positive).
func NewCache(size int) *Cache {
	if size <= 0 {
		size = DefaultCacheSize
	}
	return &Cache{size: size, index: map[[sha256.Size]byte]*list.Element{}, order: list.New()}
}

// Compile is Compile("schema", doc) (a stored schema's text), done once
// per text while the text stays in the cache.
func (c *Cache) Compile(doc json.RawMessage) (*Schema, error) {
	e := c.entry(sha256.Sum256(doc))
	compiled := false
	e.once.Do(func() {
		compiled = true
		c.compiles.Add(1)
		e.schema, e.err = Compile("schema", doc)
	})
	switch {
	case e.err != nil:
		c.forget(e)
	case compiled:
		c.trim()
	}
	return e.schema, e.err
}

// Compiles returns how many compilations the cache has run.
func (c *Cache) Compiles() int64 { return c.compiles.Load() }

// Len returns how many schemas the cache holds.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// entry returns the entry of key, made the most recently used, adding it
// when missing.
func (c *Cache) entry(key [sha256.Size]byte) *cached {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.index[key]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*cached)
	}
	e := &cached{key: key}
	c.index[key] = c.order.PushFront(e)
	return e
}

// trim drops the least recently used entries beyond the size, once a new
// one compiled (so that a text that does not compile drops none; entries
// still compiling can exceed the size, by at most one per caller).
func (c *Cache) trim() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.order.Len() > c.size {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.index, oldest.Value.(*cached).key)
	}
}

// forget drops e (a text that failed to compile), unless another entry
// has taken its key since.
func (c *Cache) forget(e *cached) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.index[e.key]; ok && el.Value.(*cached) == e {
		c.order.Remove(el)
		delete(c.index, e.key)
	}
}
