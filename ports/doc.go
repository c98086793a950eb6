// Package ports declares what ConfigMat's core needs from the world: stores
// split by aggregate, the transaction boundary that binds them to one tenant,
// change notifications, a clock, randomness and a rate limiter; and the narrow
// read ports of the hot read path (ResolutionSource, APIKeyLookup), which the
// core implements over the Transactor and core/cache decorates. Adapters
// implement the other interfaces; the core depends only on them.
//
// Store methods return *domain.Error values whose kinds are named in each
// method's comment; any other failure is returned as an internal error.
//
//go:generate go run go.uber.org/mock/mockgen -destination=mocks/mocks.go -package=mocks github.com/configmat/configmat/ports Transactor,GlobalTx,TenantTx,UserStore,TokenStore,Directory,TenantStore,EnvironmentStore,AssetStore,VersionStore,SchemaStore,MemberStore,APIKeyStore,AuditStore,ChangePublisher,Clock,ResolutionSource,APIKeyLookup
package ports
