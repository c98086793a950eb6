// Package audit is ConfigMat's tamper-evident audit chain: appending entries
// inside the transaction of the change they record, and verifying a tenant's
// chain.
package audit

import (
	"context"
	"errors"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

var errTODO = errors.New("audit: not implemented yet")

// Verification is the result of walking a tenant's chain.
type Verification struct {
	Valid    bool   `json:"valid"`
	Entries  int64  `json:"entries"`
	HeadHash string `json:"head_hash,omitempty"`
	// FirstInvalidSeq and Reason are set when Valid is false.
	FirstInvalidSeq int64  `json:"first_invalid_seq,omitempty"`
	Reason          string `json:"reason,omitempty"`
}

// Log appends entries to a tenant's chain inside the caller's transaction.
type Log struct {
	clock ports.Clock
}

// NewLog returns a log that timestamps entries with clock.
func NewLog(clock ports.Clock) *Log { return &Log{clock: clock} }

// Append locks the chain head of the tenant bound to s, and appends one entry
// for actor's action on target; details is marshalled to canonical JSON.
func (l *Log) Append(ctx context.Context, s ports.TenantStores, actor domain.Actor, action, target string, details any) error {
	return errTODO
}

// Service lists and verifies audit chains; both require the admin role.
type Service struct {
	tx ports.Transactor
}

// NewService returns the audit service.
func NewService(tx ports.Transactor) *Service { return &Service{tx: tx} }

// List returns up to limit entries after afterSeq, oldest first, and the
// cursor (the last seq) of the next page, or "" at the end.
func (s *Service) List(ctx context.Context, actor domain.Actor, afterSeq int64, limit int) ([]domain.AuditEntry, string, error) {
	return nil, "", errTODO
}

// Verify walks the actor's tenant chain.
func (s *Service) Verify(ctx context.Context, actor domain.Actor) (Verification, error) {
	return Verification{}, errTODO
}
