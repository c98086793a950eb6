package porttest

import (
	"context"
	"testing"
	"time"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

func testReads(t *testing.T, open Opener) {
	tx := open(t)
	tenant, other := NewTenant(t, tx), NewTenant(t, tx)
	h1 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	h2 := h1.Add(time.Hour)
	add := func(t *testing.T, id domain.TenantID, counts ...domain.ReadCount) {
		t.Helper()
		mustNot(t, tx.InTenant(t.Context(), id, func(ctx context.Context, s ports.TenantTx) error { return s.Audit().AddReads(ctx, counts) }))
	}
	list := func(t *testing.T, id domain.TenantID, f domain.ReadFilter) []domain.ReadCount {
		t.Helper()
		var out []domain.ReadCount
		mustNot(t, tx.InTenant(t.Context(), id, func(ctx context.Context, s ports.TenantTx) error {
			var err error
			out, err = s.Audit().Reads(ctx, f)
			return err
		}))
		return out
	}
	add(t, tenant.ID,
		domain.ReadCount{Actor: "api_key:a", Asset: "web", Environment: "prod", Hour: h1, WithSecrets: true, Count: 2},
		domain.ReadCount{Actor: "user:u", Asset: "web", Environment: "stage", Hour: h2, Count: 1})
	add(t, tenant.ID, domain.ReadCount{Actor: "api_key:a", Asset: "web", Environment: "prod", Hour: h1, WithSecrets: true, Count: 3})

	t.Run("summed, newest hour first", func(t *testing.T) {
		got := list(t, tenant.ID, domain.ReadFilter{})
		if len(got) != 2 || got[0].Actor != "user:u" || !got[0].Hour.Equal(h2) || got[1].Count != 5 || !got[1].WithSecrets || !got[1].Hour.Equal(h1) {
			t.Fatalf("Reads = %+v", got)
		}
	})
	t.Run("filtered", func(t *testing.T) {
		if got := list(t, tenant.ID, domain.ReadFilter{Environment: "prod"}); len(got) != 1 || got[0].Environment != "prod" {
			t.Fatalf("by environment: %+v", got)
		}
		if got := list(t, tenant.ID, domain.ReadFilter{Asset: "api"}); len(got) != 0 {
			t.Fatalf("by another asset: %+v", got)
		}
		if got := list(t, tenant.ID, domain.ReadFilter{Since: h1.Add(90 * time.Minute)}); len(got) != 1 || !got[0].Hour.Equal(h2) {
			t.Fatalf("since: %+v", got)
		}
		if got := list(t, tenant.ID, domain.ReadFilter{Limit: 1}); len(got) != 1 {
			t.Fatalf("limit 1: %+v", got)
		}
	})
	t.Run("another tenant sees none", func(t *testing.T) {
		if got := list(t, other.ID, domain.ReadFilter{}); len(got) != 0 {
			t.Fatalf("another tenant's Reads = %+v", got)
		}
	})
}
