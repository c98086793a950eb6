package porttest

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

func testSchemas(t *testing.T, open Opener) {
	tx := open(t)
	tenant := NewTenant(t, tx)
	asset := NewAsset(t, tx, tenant.ID, "billing")
	other := NewTenant(t, tx)

	get := func(t *testing.T, tenant domain.TenantID, id domain.AssetID) (domain.AssetSchema, error) {
		var got domain.AssetSchema
		err := tx.InTenant(t.Context(), tenant, func(ctx context.Context, s ports.TenantTx) error {
			var err error
			got, err = s.Schemas().Get(ctx, id)
			return err
		})
		return got, err
	}
	put := func(t *testing.T, tenant domain.TenantID, sch domain.AssetSchema) error {
		return tx.InTenant(t.Context(), tenant, func(ctx context.Context, s ports.TenantTx) error {
			return s.Schemas().Put(ctx, sch)
		})
	}
	sameJSON := func(t *testing.T, got, want json.RawMessage) {
		t.Helper()
		var g, w any
		mustNot(t, json.Unmarshal(got, &g))
		mustNot(t, json.Unmarshal(want, &w))
		if !reflect.DeepEqual(g, w) {
			t.Errorf("schema = %s, want %s", got, want)
		}
	}

	t.Run("NoneYet", func(t *testing.T) {
		_, err := get(t, tenant.ID, asset.ID)
		wantKind(t, err, domain.KindSchemaNotFound)
	})

	t.Run("PutGetReplace", func(t *testing.T) {
		first := domain.AssetSchema{AssetID: asset.ID, Schema: json.RawMessage(`{"type":"object","required":["db"]}`), UpdatedAt: at(20)}
		mustNot(t, put(t, tenant.ID, first))
		got, err := get(t, tenant.ID, asset.ID)
		mustNot(t, err)
		sameJSON(t, got.Schema, first.Schema)
		wantTime(t, "UpdatedAt", got.UpdatedAt, first.UpdatedAt)
		if got.AssetID != asset.ID {
			t.Errorf("AssetID = %q, want %q", got.AssetID, asset.ID)
		}
		second := domain.AssetSchema{AssetID: asset.ID, Schema: json.RawMessage(`true`), UpdatedAt: at(21)}
		mustNot(t, put(t, tenant.ID, second))
		got, err = get(t, tenant.ID, asset.ID)
		mustNot(t, err)
		sameJSON(t, got.Schema, second.Schema)
		wantTime(t, "UpdatedAt", got.UpdatedAt, second.UpdatedAt)
	})

	t.Run("OtherTenantSeesNone", func(t *testing.T) {
		_, err := get(t, other.ID, asset.ID)
		wantKind(t, err, domain.KindSchemaNotFound)
		err = put(t, other.ID, domain.AssetSchema{AssetID: asset.ID, Schema: json.RawMessage(`{}`), UpdatedAt: at(22)})
		wantKind(t, err, domain.KindAssetNotFound)
		err = tx.InTenant(t.Context(), other.ID, func(ctx context.Context, s ports.TenantTx) error { return s.Schemas().Delete(ctx, asset.ID) })
		wantKind(t, err, domain.KindSchemaNotFound)
	})

	t.Run("MissingAsset", func(t *testing.T) {
		err := put(t, tenant.ID, domain.AssetSchema{AssetID: domain.AssetID(uuid.NewString()), Schema: json.RawMessage(`{}`), UpdatedAt: at(23)})
		wantKind(t, err, domain.KindAssetNotFound)
		err = put(t, tenant.ID, domain.AssetSchema{AssetID: "not-a-uuid", Schema: json.RawMessage(`{}`), UpdatedAt: at(23)})
		wantKind(t, err, domain.KindAssetNotFound)
	})

	t.Run("Delete", func(t *testing.T) {
		MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error { return s.Schemas().Delete(ctx, asset.ID) })
		_, err := get(t, tenant.ID, asset.ID)
		wantKind(t, err, domain.KindSchemaNotFound)
		err = tx.InTenant(t.Context(), tenant.ID, func(ctx context.Context, s ports.TenantTx) error { return s.Schemas().Delete(ctx, asset.ID) })
		wantKind(t, err, domain.KindSchemaNotFound)
	})

	t.Run("GetMany", func(t *testing.T) {
		first := NewAsset(t, tx, tenant.ID, "many-first")
		second := NewAsset(t, tx, tenant.ID, "many-second")
		without := NewAsset(t, tx, tenant.ID, "many-without")
		foreign := NewAsset(t, tx, other.ID, "many-foreign")
		schemas := map[domain.AssetID]json.RawMessage{
			first.ID:  json.RawMessage(`{"type":"object"}`),
			second.ID: json.RawMessage(`{"required":["db"]}`),
		}
		for id, doc := range schemas {
			mustNot(t, put(t, tenant.ID, domain.AssetSchema{AssetID: id, Schema: doc, UpdatedAt: at(25)}))
		}
		mustNot(t, put(t, other.ID, domain.AssetSchema{AssetID: foreign.ID, Schema: json.RawMessage(`{}`), UpdatedAt: at(25)}))
		for _, c := range []struct {
			name string
			ids  []domain.AssetID
			want []domain.AssetID
		}{
			{"none", nil, nil},
			{"one", []domain.AssetID{second.ID}, []domain.AssetID{second.ID}},
			{"several", []domain.AssetID{first.ID, without.ID, second.ID, first.ID}, []domain.AssetID{first.ID, second.ID}},
			{"without schemas", []domain.AssetID{without.ID, domain.AssetID(uuid.NewString()), "not-a-uuid"}, nil},
			{"another tenant's", []domain.AssetID{foreign.ID, first.ID}, []domain.AssetID{first.ID}},
		} {
			t.Run(c.name, func(t *testing.T) {
				MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
					got, err := s.Schemas().GetMany(ctx, c.ids)
					if err != nil {
						return err
					}
					if len(got) != len(c.want) {
						t.Errorf("GetMany(%v) = %d schemas, want %d", c.ids, len(got), len(c.want))
					}
					for _, id := range c.want {
						sch, ok := got[id]
						if !ok {
							t.Errorf("GetMany(%v) lacks %s", c.ids, id)
							continue
						}
						if sch.AssetID != id {
							t.Errorf("GetMany[%s].AssetID = %s", id, sch.AssetID)
						}
						sameJSON(t, sch.Schema, schemas[id])
						wantTime(t, "UpdatedAt", sch.UpdatedAt, at(25))
					}
					return nil
				})
			})
		}
	})

	t.Run("DeletedWithItsAsset", func(t *testing.T) {
		gone := NewAsset(t, tx, tenant.ID, "gone")
		mustNot(t, put(t, tenant.ID, domain.AssetSchema{AssetID: gone.ID, Schema: json.RawMessage(`{}`), UpdatedAt: at(24)}))
		MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error { return s.Assets().Delete(ctx, gone.ID) })
		_, err := get(t, tenant.ID, gone.ID)
		wantKind(t, err, domain.KindSchemaNotFound)
	})
}
