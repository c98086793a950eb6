package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
)

// Bounds of the buffer of encoded resolved configurations: at most
// maxAnswers answers and maxAnswerBytes bytes, each answer counting its body
// and key plus bodyOverhead bytes for the rest of its entry.
const (
	maxAnswers     = 10000
	maxAnswerBytes = 64 << 20
	bodyOverhead   = 256
)

// bodyKey identifies a resolution whose answer never changes: a version is
// immutable, the asset ID outlives any slug (an asset deleted and created
// again gets a new ID), what its references read is named by the versions
// of the assets they read (one version resolves to other content when a
// referenced value changes), and what a caller sees depends only on whether
// it reads secrets.
type bodyKey struct {
	tenant      domain.TenantID
	asset       domain.AssetID
	environment string
	version     int
	// dependencies are the referenced assets at the versions read
	// ("id@version,..."), "" without references into other assets.
	dependencies string
	withSecrets  bool
}

// dependencyKey writes the dependencies of a resolution for its bodyKey.
func dependencyKey(deps []catalog.Dependency) string {
	if len(deps) == 0 {
		return ""
	}
	b := make([]byte, 0, len(deps)*48)
	for i, d := range deps {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, d.AssetID...)
		b = append(b, '@')
		b = strconv.AppendInt(b, int64(d.Version), 10)
	}
	return string(b)
}

// encodedBody is the answer of one resolution: the JSON body and its strong
// ETag. Both are shared by every reader and never modified.
type encodedBody struct {
	body []byte
	etag string
	// etagValue and lengthValue are the ETag and Content-Length header
	// values, shared by every answer (net/http only reads them).
	etagValue   []string
	lengthValue []string
	// used is the second chance of the clock eviction: set by every hit,
	// cleared when eviction passes over the entry.
	used atomic.Bool
}

// resolvedBodies keeps the encoded answers of GET /assets/{slug}/values, so
// that the configuration SDKs poll all day is encoded and hashed once per
// version, not once per request. It holds at most maxEntries bodies and
// maxBytes bytes of them; when full it evicts with the clock algorithm
// (first in, first out, but an entry read since the last pass gets a second
// chance), so that a hit takes only a read lock. Its keys are immutable
// identities, so it needs no invalidation: a new version is a new key.
type resolvedBodies struct {
	maxEntries int
	maxBytes   int
	// etagKey keys the ETags (see encodeResolved).
	etagKey []byte

	mu      sync.RWMutex
	entries map[bodyKey]*encodedBody
	// queue holds the keys in eviction order.
	queue []bodyKey
	bytes int
}

// newResolvedBodies returns an empty buffer with the given bounds whose
// ETags are keyed by etagKey.
func newResolvedBodies(maxEntries, maxBytes int, etagKey []byte) *resolvedBodies {
	return &resolvedBodies{maxEntries: maxEntries, maxBytes: maxBytes, etagKey: etagKey, entries: map[bodyKey]*encodedBody{}}
}

// answer returns the encoded answer of r, resolved for tenant: from the
// buffer when it holds it, else encoded and kept. A resolution without an
// asset ID has no identity and is encoded every time.
func (b *resolvedBodies) answer(tenant domain.TenantID, r catalog.Resolved) (*encodedBody, error) {
	if r.AssetID == "" {
		return encodeResolved(r, b.etagKey)
	}
	k := bodyKey{tenant: tenant, asset: r.AssetID, environment: r.Environment, version: r.Version,
		dependencies: dependencyKey(r.Dependencies), withSecrets: r.WithSecrets}
	b.mu.RLock()
	e := b.entries[k]
	b.mu.RUnlock()
	if e != nil {
		if !e.used.Load() {
			e.used.Store(true)
		}
		return e, nil
	}
	e, err := encodeResolved(r, b.etagKey)
	if err != nil {
		return nil, err
	}
	return b.keep(k, e), nil
}

// keep stores e under k, evicting as needed, and returns the entry now
// stored: one stored meanwhile by a concurrent reader wins. A body larger
// than the whole buffer is returned without being stored.
func (b *resolvedBodies) keep(k bodyKey, e *encodedBody) *encodedBody {
	size := entrySize(k, e)
	if size > b.maxBytes {
		return e
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if stored := b.entries[k]; stored != nil {
		return stored
	}
	for len(b.queue) > 0 && (len(b.entries) >= b.maxEntries || b.bytes+size > b.maxBytes) {
		victim := b.queue[0]
		b.queue = b.queue[1:]
		ve := b.entries[victim]
		if ve.used.Swap(false) {
			b.queue = append(b.queue, victim)
			continue
		}
		delete(b.entries, victim)
		b.bytes -= entrySize(victim, ve)
	}
	b.entries[k] = e
	b.queue = append(b.queue, k)
	b.bytes += size
	return e
}

// count returns the number of bodies held.
func (b *resolvedBodies) count() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.entries)
}

// entrySize is what an entry counts against the buffer's bytes: its body,
// its key's texts and a fixed overhead for the rest.
func entrySize(k bodyKey, e *encodedBody) int {
	return len(e.body) + len(k.tenant) + len(k.asset) + len(k.environment) + len(k.dependencies) + len(e.etag) + bodyOverhead
}

// encodeResolved encodes r as the answer of GET /assets/{slug}/values with
// its strong ETag: the lower-case hex HMAC-SHA-256 of the body under
// etagKey. The body holds secrets, so a plain digest in a proxy's log would
// confirm a guessed secret; a keyed one does not, and every process with the
// same key gives the same ETag.
func encodeResolved(r catalog.Resolved, etagKey []byte) (*encodedBody, error) {
	body, err := json.Marshal(viewResolved(r))
	if err != nil {
		return nil, domain.Wrap(err, "could not encode the resolved configuration")
	}
	mac := hmac.New(sha256.New, etagKey)
	mac.Write(body)
	etag := `"` + hex.EncodeToString(mac.Sum(nil)) + `"`
	return &encodedBody{body: body, etag: etag, etagValue: []string{etag}, lengthValue: []string{strconv.Itoa(len(body))}}, nil
}
