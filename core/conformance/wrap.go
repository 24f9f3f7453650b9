package conformance

import (
	"context"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
)

// wrapped lets the suite intercept a connector's reads or writes while the
// optional interfaces it implements stay visible to the sync loop.
type wrapped struct{ connector.Connector }

func (w wrapped) DeletionScanEvery() time.Duration {
	if d, ok := w.Connector.(connector.DeletionLister); ok {
		return d.DeletionScanEvery()
	}
	return 0
}

func (w wrapped) ReadDeletedPage(ctx context.Context, req connector.ReadRequest) (connector.Page, error) {
	return w.Connector.(connector.DeletionLister).ReadDeletedPage(ctx, req)
}

func (w wrapped) AssociationRescanEvery() time.Duration {
	if a, ok := w.Connector.(connector.AssociationRereader); ok {
		return a.AssociationRescanEvery()
	}
	return 0
}

func (w wrapped) RereadBatch() int {
	if a, ok := w.Connector.(connector.AssociationRereader); ok {
		return a.RereadBatch()
	}
	return 1
}

func (w wrapped) RereadCustomers(ctx context.Context, source string, ids []string) (map[string]connector.CustomerKey, error) {
	return w.Connector.(connector.AssociationRereader).RereadCustomers(ctx, source, ids)
}

func (w wrapped) Calls() map[string]int64 {
	if c, ok := w.Connector.(connector.CallCounter); ok {
		return c.Calls()
	}
	return nil
}

func (w wrapped) RepairEvery() time.Duration {
	if f, ok := w.Connector.(connector.FieldReader); ok {
		return f.RepairEvery()
	}
	return 0
}

func (w wrapped) ReadBatch() int {
	if f, ok := w.Connector.(connector.FieldReader); ok {
		return f.ReadBatch()
	}
	return 1
}

func (w wrapped) ReadFields(ctx context.Context, keys []connector.CustomerKey, fields []string) (map[connector.CustomerKey]map[string]string, error) {
	return w.Connector.(connector.FieldReader).ReadFields(ctx, keys, fields)
}

var (
	_ connector.FieldReader         = wrapped{}
	_ connector.DeletionLister      = wrapped{}
	_ connector.AssociationRereader = wrapped{}
	_ connector.CallCounter         = wrapped{}
)
