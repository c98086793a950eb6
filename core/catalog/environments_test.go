package catalog

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/domain"
)

func TestListEnvironments(t *testing.T) {
	tests := []struct {
		name   string
		stored []domain.Environment
		want   []domain.Environment
	}{
		{"none", nil, []domain.Environment{}},
		{"in order", []domain.Environment{{Name: "local", Position: 1}, {Name: "prod", Position: 3}}, []domain.Environment{{Name: "local", Position: 1}, {Name: "prod", Position: 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.envs.EXPECT().List(gomock.Any()).Return(tt.stored, nil)
			got, err := w.svc.ListEnvironments(w.ctx, viewer)
			if err != nil {
				t.Fatalf("ListEnvironments: %v", err)
			}
			assertJSON(t, got, tt.want)
		})
	}
}

func TestListEnvironmentsStoreFailure(t *testing.T) {
	w := newWorld(t)
	w.envs.EXPECT().List(gomock.Any()).Return(nil, domain.Wrap(errTest("down"), "list failed"))
	_, err := w.svc.ListEnvironments(w.ctx, viewer)
	assertKind(t, err, domain.KindInternal)
}

func TestCreateEnvironmentAppends(t *testing.T) {
	tests := []struct {
		name     string
		existing []domain.Environment
		position int
	}{
		{"after the defaults", []domain.Environment{{Name: "local", Position: 1}, {Name: "prod", Position: 7}, {Name: "stage", Position: 2}}, 8},
		{"first of the tenant", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.audit.EXPECT().LockHead(gomock.Any()).Return(int64(41), "ab", nil)
			w.envs.EXPECT().List(gomock.Any()).Return(tt.existing, nil)
			var stored domain.Environment
			w.envs.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, e domain.Environment) error {
				stored = e
				return nil
			})
			entry := w.expectAudit()
			got, err := w.svc.CreateEnvironment(w.ctx, admin, "qa")
			if err != nil {
				t.Fatalf("CreateEnvironment: %v", err)
			}
			want := domain.Environment{Name: "qa", Position: tt.position, CreatedAt: fixedNow}
			if got != want || stored != want {
				t.Fatalf("returned %+v, stored %+v, want %+v", got, stored, want)
			}
			if entry.Action != domain.ActionEnvironmentCreated || entry.Target != "environment:qa" || entry.Actor != "user:u-admin" {
				t.Fatalf("audit entry = %+v", entry)
			}
			assertJSON(t, json.RawMessage(entry.Details), map[string]any{"name": "qa", "position": tt.position})
			w.assertCommitted(true)
		})
	}
}

func TestCreateEnvironmentRefuses(t *testing.T) {
	full := make([]domain.Environment, domain.MaxEnvironments)
	for i := range full {
		full[i] = domain.Environment{Name: "env" + strconv.Itoa(i), Position: i + 1}
	}
	tests := []struct {
		name     string
		existing []domain.Environment
		kind     domain.Kind
		details  map[string]any
	}{
		{"taken name", []domain.Environment{{Name: "qa", Position: 4}}, domain.KindEnvironmentExists, map[string]any{"environment": "qa"}},
		{"too many environments", full, domain.KindInvalid, map[string]any{"fields": map[string]any{"name": "cannot be added: a tenant has at most 50 environments"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.audit.EXPECT().LockHead(gomock.Any()).Return(int64(41), "ab", nil)
			w.envs.EXPECT().List(gomock.Any()).Return(tt.existing, nil)
			_, err := w.svc.CreateEnvironment(w.ctx, admin, "qa")
			de := assertKind(t, err, tt.kind)
			assertJSON(t, de.Details, tt.details)
			w.assertCommitted(false)
		})
	}
}
