// Package core is ConfigMat's domain library: the services behind the HTTP
// API, usable by any Go program that supplies the ports (a store, a clock,
// randomness) — the same authorization, encryption and audit chain included.
//
// New wires the services:
//
//	c := core.New(core.Options{Tx: store, KEK: kek})
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

// Options are the ports and settings the core needs. Clock and Random default
// to the system clock and crypto/rand.
type Options struct {
	Tx       ports.Transactor
	KEK      *keys.KEK
	Clock    ports.Clock
	Random   io.Reader
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
func New(o Options) *Core {
	if o.Clock == nil {
		o.Clock = ports.SystemClock{}
	}
	if o.Random == nil {
		o.Random = rand.Reader
	}
	km := keys.NewManager(o.KEK, o.Random)
	log := audit.NewLog(o.Clock)
	return &Core{
		Keys:     km,
		AuditLog: log,
		Audit:    audit.NewService(o.Tx),
		Catalog:  catalog.New(catalog.Deps{Tx: o.Tx, Clock: o.Clock, Random: o.Random, Keys: km, Audit: log, Cache: o.Cache}),
		Identity: identity.New(identity.Deps{Tx: o.Tx, Clock: o.Clock, Random: o.Random, Keys: km, Audit: log, TokenTTL: o.TokenTTL, Cache: o.Cache}),
	}
}
