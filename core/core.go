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
	"github.com/configmat/configmat/ports"
)

// Deps are the ports and settings the core needs. Clock and Random default
// to the system clock and crypto/rand.
type Deps struct {
	// Tx is the store's unit of work.
	Tx ports.Transactor
	// KEK is the key-encryption key of the tenants' data keys.
	KEK *keys.KEK
	// Clock tells the time (the system clock when nil).
	Clock ports.Clock
	// Random is the source of identifiers, credentials, keys and nonces
	// (crypto/rand when nil).
	Random io.Reader
	// TokenTTL is the lifetime of user tokens (identity.DefaultTokenTTL when
	// zero).
	TokenTTL time.Duration
	// Cache, when set, keeps resolved configurations and API-key lookups in
	// memory; Tx must then be wrapped with cache.WrapTransactor so that the
	// process's own commits invalidate it.
	Cache *cache.Cache
}

// Core holds the wired services.
type Core struct {
	Keys     *keys.Manager
	AuditLog *audit.Log
	Audit    *audit.Service
	Catalog  *catalog.Service
	Identity *identity.Service
}

// New wires the core services over the given ports.
func New(o Deps) *Core {
	if o.Clock == nil {
		o.Clock = ports.SystemClock{}
	}
	if o.Random == nil {
		o.Random = rand.Reader
	}
	km := keys.NewManager(keys.Deps{KEK: o.KEK, Random: o.Random})
	log := audit.NewLog(audit.Deps{Clock: o.Clock})
	return &Core{
		Keys:     km,
		AuditLog: log,
		Audit:    audit.NewService(audit.Deps{Tx: o.Tx}),
		Catalog:  catalog.New(catalog.Deps{Tx: o.Tx, Clock: o.Clock, Random: o.Random, Keys: km, Audit: log, Cache: o.Cache}),
		Identity: identity.New(identity.Deps{Tx: o.Tx, Clock: o.Clock, Random: o.Random, Keys: km, Audit: log, TokenTTL: o.TokenTTL, Cache: o.Cache}),
	}
}
