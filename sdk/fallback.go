package sdk

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// The fallback file holds the last configuration read of each asset and
// environment, encrypted so that it can sit on an application's disk:
//
//	{"format":"configmat-fallback","version":1,
//	 "entries":[{"id":"<hex>","nonce":"<base64>","ciphertext":"<base64>"}]}
//
// Two keys are derived from the API key with HKDF-SHA-256 (crypto/hkdf, no
// salt: an API key carries over 200 random bits), each under its own label.
// An entry's id is the HMAC-SHA-256, under the id key, of its asset and
// environment (so the file names neither); its ciphertext is AES-256-GCM
// under the encryption key, with a random nonce, of the JSON
// {"asset","environment","version","etag","config"}, with the format label
// and the id as additional data, and the asset and environment inside are
// checked on reading: an entry moved to another id, or read with another API
// key, fails to open. The file is written with mode 0600 and atomically (a
// temporary file in the same folder, fsync, rename).
const (
	fallbackFormat   = "configmat-fallback"
	fallbackVersion  = 1
	fallbackKeyLabel = "configmat sdk fallback v1 encryption"
	fallbackIDLabel  = "configmat sdk fallback v1 entry id"
	fallbackAADLabel = "configmat-fallback v1 entry "
)

// errNoFallback says the fallback file holds no entry for the asset and
// environment (or no file is there).
var errNoFallback = errors.New("configmat: the fallback file holds no configuration of this asset and environment")

// fallbackFile reads and writes one fallback file.
type fallbackFile struct {
	path  string
	aead  cipher.AEAD
	idKey []byte
	// mu serializes this process's read-modify-write cycles.
	mu sync.Mutex
}

type fallbackDocument struct {
	Format  string          `json:"format"`
	Version int             `json:"version"`
	Entries []fallbackEntry `json:"entries"`
}

type fallbackEntry struct {
	ID         string `json:"id"`
	Nonce      []byte `json:"nonce"`
	Ciphertext []byte `json:"ciphertext"`
}

type fallbackPlaintext struct {
	Asset       string                                `json:"asset"`
	Environment string                                `json:"environment"`
	Version     int                                   `json:"version"`
	ETag        string                                `json:"etag"`
	Config      map[string]map[string]json.RawMessage `json:"config"`
}

// newFallbackFile derives the file's keys from apiKey.
func newFallbackFile(path, apiKey string) (*fallbackFile, error) {
	encKey, err := hkdf.Key(sha256.New, []byte(apiKey), nil, fallbackKeyLabel, 32)
	if err != nil {
		return nil, err
	}
	idKey, err := hkdf.Key(sha256.New, []byte(apiKey), nil, fallbackIDLabel, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &fallbackFile{path: path, aead: aead, idKey: idKey}, nil
}

// entryID names the entry of asset and env.
func (f *fallbackFile) entryID(asset, env string) string {
	mac := hmac.New(sha256.New, f.idKey)
	for _, part := range []string{asset, env} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		mac.Write(n[:])
		mac.Write([]byte(part))
	}
	return hex.EncodeToString(mac.Sum(nil))
}

// load returns the configuration the file holds for asset and env.
func (f *fallbackFile) load(asset, env string) (*Config, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	doc, err := f.read()
	if err != nil {
		return nil, err
	}
	id := f.entryID(asset, env)
	for _, e := range doc.Entries {
		if e.ID != id {
			continue
		}
		p, err := f.open(e)
		if err != nil {
			return nil, err
		}
		if p.Asset != asset || p.Environment != env {
			return nil, fmt.Errorf("configmat: the fallback file %s is damaged", f.path)
		}
		if p.Config == nil {
			p.Config = map[string]map[string]json.RawMessage{}
		}
		return &Config{Asset: p.Asset, Environment: p.Environment, Version: p.Version, ETag: p.ETag, Values: p.Config, FromFallback: true}, nil
	}
	return nil, errNoFallback
}

// save writes cfg as the file's entry for its asset and environment, keeping
// the entries of other assets that this API key wrote.
func (f *fallbackFile) save(cfg *Config) error {
	plain, err := json.Marshal(fallbackPlaintext{Asset: cfg.Asset, Environment: cfg.Environment, Version: cfg.Version, ETag: cfg.ETag, Config: cfg.Values})
	if err != nil {
		return err
	}
	id := f.entryID(cfg.Asset, cfg.Environment)
	nonce := make([]byte, f.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	entry := fallbackEntry{ID: id, Nonce: nonce, Ciphertext: f.aead.Seal(nil, nonce, plain, f.aad(id))}
	return f.update(id, &entry)
}

// remove drops the entry of asset and env, if any.
func (f *fallbackFile) remove(asset, env string) error {
	return f.update(f.entryID(asset, env), nil)
}

// update replaces the entry named id by entry (nil: removes it) and writes
// the file. Entries that do not open under this API key are dropped.
func (f *fallbackFile) update(id string, entry *fallbackEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	doc, err := f.read()
	if err != nil {
		// An unreadable or foreign file is replaced.
		doc = &fallbackDocument{}
	}
	kept := []fallbackEntry{}
	for _, e := range doc.Entries {
		if e.ID == id {
			continue
		}
		if _, err := f.open(e); err == nil {
			kept = append(kept, e)
		}
	}
	if entry == nil && len(kept) == len(doc.Entries) {
		return nil
	}
	if entry != nil {
		kept = append(kept, *entry)
	}
	data, err := json.Marshal(fallbackDocument{Format: fallbackFormat, Version: fallbackVersion, Entries: kept})
	if err != nil {
		return err
	}
	return writeAtomic(f.path, data)
}

// read reads and checks the file's outer document.
func (f *fallbackFile) read() (*fallbackDocument, error) {
	data, err := os.ReadFile(f.path) // #nosec G304 -- the path the application chose for its fallback file
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNoFallback
	}
	if err != nil {
		return nil, fmt.Errorf("configmat: reading the fallback file: %w", err)
	}
	var doc fallbackDocument
	if err := json.Unmarshal(data, &doc); err != nil || doc.Format != fallbackFormat || doc.Version != fallbackVersion {
		return nil, fmt.Errorf("configmat: %s is not a ConfigMat fallback file of a known version", f.path)
	}
	return &doc, nil
}

// open decrypts an entry.
func (f *fallbackFile) open(e fallbackEntry) (*fallbackPlaintext, error) {
	if len(e.Nonce) != f.aead.NonceSize() {
		return nil, fmt.Errorf("configmat: the fallback file %s is damaged", f.path)
	}
	plain, err := f.aead.Open(nil, e.Nonce, e.Ciphertext, f.aad(e.ID))
	if err != nil {
		return nil, fmt.Errorf("configmat: the fallback file %s does not open with this API key (written with another key, or damaged)", f.path)
	}
	var p fallbackPlaintext
	if err := json.Unmarshal(plain, &p); err != nil {
		return nil, fmt.Errorf("configmat: the fallback file %s is damaged", f.path)
	}
	return &p, nil
}

// aad is an entry's additional data.
func (f *fallbackFile) aad(id string) []byte { return []byte(fallbackAADLabel + id) }

// writeAtomic replaces path by data: a temporary file with mode 0600 in the
// same folder, synced, renamed over path, and the folder synced.
func writeAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("configmat: writing the fallback file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("configmat: writing the fallback file: %w", err)
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("configmat: writing the fallback file: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("configmat: writing the fallback file: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("configmat: writing the fallback file: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("configmat: writing the fallback file: %w", err)
	}
	if d, openErr := os.Open(dir); openErr == nil { // #nosec G304 -- the folder of the application's fallback file
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
