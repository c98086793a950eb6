package catalog

import (
	"errors"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/domain"
)

// step is one store call of a method's happy path; expect registers it,
// answering err (nil on the happy path).
type step struct {
	name   string
	expect func(w *world, err error) *gomock.Call
}

// injectFailures runs the method once per step with that step failing (and
// no later call expected), then once without failure. A failure must come
// back as the very error injected and leave the transaction uncommitted.
func injectFailures(t *testing.T, steps []step, run func(w *world) error) {
	t.Helper()
	for i := 0; i <= len(steps); i++ {
		name := "no failure"
		if i < len(steps) {
			name = "failure at " + steps[i].name
		}
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			injected := errors.New("injected " + name)
			var calls []any
			for j := 0; j < len(steps) && j <= i; j++ {
				var err error
				if j == i {
					err = injected
				}
				calls = append(calls, steps[j].expect(w, err))
			}
			gomock.InOrder(calls...)
			err := run(w)
			if i == len(steps) {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				w.assertCommitted(true)
				return
			}
			if !errors.Is(err, injected) {
				t.Fatalf("error = %v, want the injected one", err)
			}
			w.assertCommitted(false)
		})
	}
}

func stepLockBySlug() step {
	return step{"Assets.LockBySlug", func(w *world, err error) *gomock.Call {
		return w.assets.EXPECT().LockBySlug(gomock.Any(), assetSlug).Return(testAsset, err)
	}}
}

func stepBySlug() step {
	return step{"Assets.BySlug", func(w *world, err error) *gomock.Call {
		return w.assets.EXPECT().BySlug(gomock.Any(), assetSlug).Return(testAsset, err)
	}}
}

func stepEnvironment(env string) step {
	return step{"Environments.Get(" + env + ")", func(w *world, err error) *gomock.Call {
		return w.envs.EXPECT().Get(gomock.Any(), env).Return(domain.Environment{Name: env, Position: 1}, err)
	}}
}

func stepLockHead(env string, head int) step {
	return step{"Versions.LockHead(" + env + ")", func(w *world, err error) *gomock.Call {
		return w.versions.EXPECT().LockHead(gomock.Any(), assetID, env).Return(head, err)
	}}
}

func stepCurrent(env string, v func(w *world) domain.Version) step {
	return step{"Versions.Current(" + env + ")", func(w *world, err error) *gomock.Call {
		return w.versions.EXPECT().Current(gomock.Any(), assetID, env).Return(v(w), err)
	}}
}

func stepTenantKey() step {
	return step{"Tenants.Get", func(w *world, err error) *gomock.Call {
		return w.tenants.EXPECT().Get(gomock.Any()).Return(w.tenant, err)
	}}
}

func stepCreateVersion() step {
	return step{"Versions.Create", func(w *world, err error) *gomock.Call {
		return w.versions.EXPECT().Create(gomock.Any(), gomock.Any()).Return(err)
	}}
}

func stepAuditLockHead() step {
	return step{"Audit.LockHead", func(w *world, err error) *gomock.Call {
		return w.audit.EXPECT().LockHead(gomock.Any()).Return(int64(9), domain.GenesisHash, err)
	}}
}

func stepAuditAppend() step {
	return step{"Audit.Append", func(w *world, err error) *gomock.Call {
		return w.audit.EXPECT().Append(gomock.Any(), gomock.Any()).Return(err)
	}}
}

func stepPublish() step {
	return step{"Changes.Publish", func(w *world, err error) *gomock.Call {
		return w.changes.EXPECT().Publish(gomock.Any(), gomock.Any()).Return(err)
	}}
}

func TestApplyChangeSetFailures(t *testing.T) {
	current := func(w *world) domain.Version {
		return version("prod", 3, domain.Snapshot{
			"database": {"host": plain(`"db"`), "password": w.sealed("prod", "database", "password", `"old"`)},
			"features": {"beta": plain(`true`)},
		})
	}
	steps := []step{
		{"Versions.LockCurrent(prod)", func(w *world, err error) *gomock.Call {
			return w.versions.EXPECT().LockCurrent(gomock.Any(), assetSlug, "prod").Return(writeTarget(current(w)), err)
		}},
		stepTenantKey(), stepCreateVersion(), stepPublish(), stepAuditLockHead(), stepAuditAppend(),
	}
	cs := domain.ChangeSet{
		Message:         "rotate",
		ExpectedVersion: intp(3),
		Set:             map[string]map[string]domain.Value{"database": {"password": {Value: []byte(`"new"`), Secret: true}, "port": {Value: []byte(`5432`)}}},
		Unset:           map[string][]string{"features": {"beta"}},
	}
	injectFailures(t, steps, func(w *world) error {
		_, err := w.svc.ApplyChangeSet(w.ctx, editor, assetSlug, "prod", cs)
		return err
	})
}

func TestPromoteFailures(t *testing.T) {
	source := func(w *world) domain.Version {
		return version("stage", 5, domain.Snapshot{"database": {
			"host":     plain(`"db-stage"`),
			"password": w.sealed("stage", "database", "password", `"s3cret"`),
		}})
	}
	target := func(w *world) domain.Version {
		return version("prod", 2, domain.Snapshot{"database": {
			"password": w.sealed("prod", "database", "password", `"s3cret"`),
			"old":      plain(`1`),
		}})
	}
	steps := []step{
		stepLockBySlug(), stepEnvironment("stage"), stepEnvironment("prod"), stepLockHead("prod", 2),
		stepCurrent("prod", target), stepCurrent("stage", source), stepTenantKey(),
		stepCreateVersion(), stepPublish(), stepAuditLockHead(), stepAuditAppend(),
	}
	injectFailures(t, steps, func(w *world) error {
		_, err := w.svc.Promote(w.ctx, editor, assetSlug, PromoteRequest{From: "stage", To: "prod", ExpectedVersion: intp(2)})
		return err
	})
}

func TestPromoteDryRunFailures(t *testing.T) {
	source := func(w *world) domain.Version {
		return version("stage", 5, domain.Snapshot{"database": {"password": w.sealed("stage", "database", "password", `"a"`)}})
	}
	target := func(w *world) domain.Version {
		return version("prod", 2, domain.Snapshot{"database": {"password": w.sealed("prod", "database", "password", `"b"`)}})
	}
	steps := []step{
		stepLockBySlug(), stepEnvironment("stage"), stepEnvironment("prod"),
		stepCurrent("stage", source), stepCurrent("prod", target), stepTenantKey(),
	}
	injectFailures(t, steps, func(w *world) error {
		_, err := w.svc.Promote(w.ctx, editor, assetSlug, PromoteRequest{From: "stage", To: "prod", DryRun: true})
		return err
	})
}

func TestRollbackFailures(t *testing.T) {
	steps := []step{
		{"Versions.LockCurrent(prod)", func(w *world, err error) *gomock.Call {
			return w.versions.EXPECT().LockCurrent(gomock.Any(), assetSlug, "prod").Return(writeTarget(version("prod", 4, domain.Snapshot{})), err)
		}},
		{"Versions.Get", func(w *world, err error) *gomock.Call {
			return w.versions.EXPECT().Get(gomock.Any(), assetID, "prod", 2).
				Return(version("prod", 2, domain.Snapshot{"app": {"debug": plain(`false`)}}), err)
		}},
		stepCreateVersion(), stepPublish(), stepAuditLockHead(), stepAuditAppend(),
	}
	injectFailures(t, steps, func(w *world) error {
		_, err := w.svc.Rollback(w.ctx, editor, assetSlug, "prod", 2)
		return err
	})
}

func TestCreateEnvironmentFailures(t *testing.T) {
	steps := []step{
		stepAuditLockHead(),
		{"Environments.List", func(w *world, err error) *gomock.Call {
			return w.envs.EXPECT().List(gomock.Any()).Return([]domain.Environment{{Name: "local", Position: 1}}, err)
		}},
		{"Environments.Create", func(w *world, err error) *gomock.Call {
			return w.envs.EXPECT().Create(gomock.Any(), gomock.Any()).Return(err)
		}},
		stepAuditLockHead(), stepAuditAppend(),
	}
	injectFailures(t, steps, func(w *world) error {
		_, err := w.svc.CreateEnvironment(w.ctx, admin, "qa")
		return err
	})
}

func TestAssetWriteFailures(t *testing.T) {
	createAsset := step{"Assets.Create", func(w *world, err error) *gomock.Call {
		return w.assets.EXPECT().Create(gomock.Any(), gomock.Any()).Return(err)
	}}
	updateAsset := step{"Assets.Update", func(w *world, err error) *gomock.Call {
		return w.assets.EXPECT().Update(gomock.Any(), gomock.Any()).Return(err)
	}}
	lockForDelete := step{"Assets.LockForDelete", func(w *world, err error) *gomock.Call {
		return w.assets.EXPECT().LockForDelete(gomock.Any(), assetID).Return(err)
	}}
	deleteAsset := step{"Assets.Delete", func(w *world, err error) *gomock.Call {
		return w.assets.EXPECT().Delete(gomock.Any(), assetID).Return(err)
	}}
	name := "Billing v2"
	tests := []struct {
		name  string
		steps []step
		run   func(w *world) error
	}{
		{"create", []step{createAsset, stepAuditLockHead(), stepAuditAppend()}, func(w *world) error {
			_, err := w.svc.CreateAsset(w.ctx, editor, AssetInput{Slug: assetSlug, Name: "Billing"})
			return err
		}},
		{"update", []step{stepBySlug(), updateAsset, stepAuditLockHead(), stepAuditAppend()}, func(w *world) error {
			_, err := w.svc.UpdateAsset(w.ctx, editor, assetSlug, AssetPatch{Name: &name})
			return err
		}},
		{"delete", []step{stepBySlug(), lockForDelete, deleteAsset, stepPublish(), stepAuditLockHead(), stepAuditAppend()}, func(w *world) error {
			return w.svc.DeleteAsset(w.ctx, admin, assetSlug)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { injectFailures(t, tt.steps, tt.run) })
	}
}

// TestWriteCheckFailures fails each read of the reference and schema checks
// of every write that runs them: the write answers that very error and
// commits nothing.
func TestWriteCheckFailures(t *testing.T) {
	// The current version references another asset only where CurrentOf,
	// which reads it, is the read that fails: else the reference would be
	// missing before the schema is read.
	var current domain.Version
	writes := []struct {
		name   string
		expect func(w *world)
		run    func(w *world) error
	}{
		{"change set", func(w *world) {
			w.versions.EXPECT().LockCurrent(gomock.Any(), assetSlug, "prod").Return(writeTarget(current), nil)
		}, func(w *world) error {
			_, err := w.svc.ApplyChangeSet(w.ctx, editor, assetSlug, "prod", domain.ChangeSet{Message: "m",
				Set: map[string]map[string]domain.Value{"db": {"port": {Value: []byte(`2`)}}}})
			return err
		}},
		{"rollback", func(w *world) {
			w.versions.EXPECT().LockCurrent(gomock.Any(), assetSlug, "prod").Return(writeTarget(current), nil)
		}, func(w *world) error {
			_, err := w.svc.Rollback(w.ctx, editor, assetSlug, "prod", 3)
			return err
		}},
	}
	for _, write := range writes {
		for _, read := range []string{"Versions.Referencing", "Versions.CurrentOf", "Schemas.GetMany"} {
			t.Run(write.name+"/"+read, func(t *testing.T) {
				w := newWorld(t)
				injected := errors.New("injected at " + read)
				w.readFailure[read] = injected
				current = version("prod", 3, domain.Snapshot{"db": {"port": plain(`1`)}})
				if read == "Versions.CurrentOf" {
					current.Snapshot["db"]["url"] = plain(`"${other/db.host}"`)
				}
				write.expect(w)
				if err := write.run(w); !errors.Is(err, injected) {
					t.Fatalf("error = %v, want the injected one", err)
				}
				w.assertCommitted(false)
			})
		}
	}
	t.Run("deletion/Versions.Referencing", func(t *testing.T) {
		w := newWorld(t)
		injected := errors.New("injected")
		w.readFailure["Versions.Referencing"] = injected
		w.assets.EXPECT().BySlug(gomock.Any(), assetSlug).Return(testAsset, nil)
		w.assets.EXPECT().LockForDelete(gomock.Any(), assetID).Return(nil)
		if err := w.svc.DeleteAsset(w.ctx, admin, assetSlug); !errors.Is(err, injected) {
			t.Fatalf("error = %v, want the injected one", err)
		}
		w.assertCommitted(false)
	})
}
