// Package core is ConfigMat's domain library: the services behind the HTTP
// API, usable by any Go program that supplies the ports (a store, a clock,
// randomness) — the same authorization, encryption and audit chain included.
//
// New wires the services:
//
//	c := core.New(core.Deps{Tx: store, KEK: kek})
//	actor, _ := c.Identity.AuthenticateAPIKey(ctx, key)
//	cfg, _ := c.Catalog.Resolve(ctx, actor, "billing", "prod")
package core

import (
	"crypto/rand"
	"io"
	"time"

	"github.com/configmat/configmat/core/audit"
	"github.com/configmat/configmat/core/cache"
	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/identity"
	"github.com/configmat/configmat/core/keys"
	"github.com/configmat/configmat/core/watch"
	"github.com/configmat/configmat/ports"
)

// Deps are the ports and settings the core needs. Clock and Random default
// to the system clock and crypto/rand.
type Deps struct {
	// Tx is the store's unit of work.
	Tx ports.Transactor
	// KEK is the key-encryption key of the tenants' data keys.
	KEK *keys.KEK
	// PreviousKEKs are earlier key-encryption keys, used only to unwrap data
	// keys not yet rewrapped under KEK (keys.Manager.Rotate).
	PreviousKEKs []*keys.KEK
	// Clock tells the time (the system clock when nil).
	Clock ports.Clock
	// Random is the source of identifiers, credentials, keys and nonces
	// (crypto/rand when nil).
	Random io.Reader
	// TokenTTL is the lifetime of user tokens (identity.DefaultTokenTTL when
	// zero).
	TokenTTL time.Duration
	// Cache, when set, keeps resolved configurations and API-key lookups in
	// memory: New wraps the read ports with it, and Tx so that the process's
	// own commits invalidate it. The caller feeds it the other processes'
	// changes (Cache.Apply, Cache.SetLive from a ports.ChangeFeed).
	Cache *cache.Cache
	// WatchMax bounds the open watch streams (watch.DefaultMaxStreams when
	// zero).
	WatchMax int
	// NoReadCounting turns the read audit off (for benchmarks measuring its
	// cost).
	NoReadCounting bool
	// AuditSigner signs the audit checkpoints (AUDIT_SIGNING_KEY); when nil,
	// a key derived from KEK (keys.KEK.AuditSigningSeed).
	AuditSigner *audit.Signer
}

// Core holds the wired services.
type Core struct {
	Keys     *keys.Manager
	AuditLog *audit.Log
	Audit    *audit.Service
	// Reads counts resolved-configuration reads; the caller runs its flush
	// (ReadCounter.Run) and flushes it at shutdown.
	Reads    *audit.ReadCounter
	Catalog  *catalog.Service
	Identity *identity.Service
	// Watch follows resolved configurations for watch streams and long
	// polls; the caller feeds it every process's changes (Hub.Apply,
	// Hub.SetLive), after the cache's.
	Watch *watch.Hub
}

// New wires the core services over the given ports: the read ports over the
// store and, when d.Cache is set, the read cache around them and around the
// Transactor. No service knows whether the cache is there.
func New(d Deps) *Core {
	if d.Clock == nil {
		d.Clock = ports.SystemClock{}
	}
	if d.Random == nil {
		d.Random = rand.Reader
	}
	km := keys.NewManager(keys.Deps{KEK: d.KEK, Previous: d.PreviousKEKs, Random: d.Random})
	// The read ports run over the bare store: they publish no change.
	resolutions := catalog.NewResolutions(catalog.Deps{Tx: d.Tx, Keys: km})
	apiKeys := identity.NewAPIKeyLookup(identity.Deps{Tx: d.Tx})
	tx := d.Tx
	if d.Cache != nil {
		tx = cache.WrapTransactor(tx, d.Cache)
		resolutions = cache.Resolutions(d.Cache, resolutions)
		apiKeys = cache.APIKeys(d.Cache, apiKeys)
	}
	signer := d.AuditSigner
	if signer == nil {
		signer = DerivedAuditSigner(d.KEK)
	}
	log := audit.NewLog(audit.Deps{Clock: d.Clock, Signer: signer})
	var reads *audit.ReadCounter
	var recorder ports.ReadRecorder
	if !d.NoReadCounting {
		reads = audit.NewReadCounter(audit.Deps{Tx: d.Tx, Clock: d.Clock})
		recorder = reads
	}
	cat := catalog.New(catalog.Deps{
		Tx: tx, Clock: d.Clock, Random: d.Random, Keys: km, Audit: log,
		Resolutions: resolutions, Reads: recorder,
	})
	return &Core{
		Keys:     km,
		AuditLog: log,
		Audit:    audit.NewService(audit.Deps{Tx: tx, Signer: signer, EarlierVerifierKeys: earlierVerifierKeys(d.PreviousKEKs)}),
		Catalog:  cat,
		Reads:    reads,
		Watch:    watch.New(watch.Deps{Access: cat, Resolutions: resolutions, MaxStreams: d.WatchMax, Clock: d.Clock, Reads: recorder}),
		Identity: identity.New(identity.Deps{
			Tx: tx, Clock: d.Clock, Random: d.Random, Keys: km, Audit: log, TokenTTL: d.TokenTTL,
			APIKeyLookup: apiKeys,
		}),
	}
}

// DerivedAuditSigner returns the audit signer derived from kek, used when no
// AUDIT_SIGNING_KEY is set.
func DerivedAuditSigner(kek *keys.KEK) *audit.Signer {
	s, err := audit.SignerFromSeed(kek.AuditSigningSeed())
	if err != nil {
		// A 32-byte seed always gives a key.
		panic("core: deriving the audit signer: " + err.Error())
	}
	return s
}

// earlierVerifierKeys are the verifier keys derived from the previous KEKs:
// checkpoints stored before ENCRYPTION_KEY was rotated were signed by them.
func earlierVerifierKeys(previous []*keys.KEK) []string {
	var out []string
	for _, k := range previous {
		out = append(out, DerivedAuditSigner(k).VerifierKey())
	}
	return out
}
