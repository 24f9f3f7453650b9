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

func (w wrapped) RereadEvery() time.Duration {
	if a, ok := w.Connector.(connector.OrderRereader); ok {
		return a.RereadEvery()
	}
	return 0
}

func (w wrapped) RereadBatch() int {
	if a, ok := w.Connector.(connector.OrderRereader); ok {
		return a.RereadBatch()
	}
	return 1
}

func (w wrapped) RereadOrders(ctx context.Context, source string, ids []string) ([]connector.Record, error) {
	return w.Connector.(connector.OrderRereader).RereadOrders(ctx, source, ids)
}

func (w wrapped) WriteCalls(n int) int {
	if p, ok := w.Connector.(connector.WritePlanner); ok {
		return p.WriteCalls(n)
	}
	size := max(1, w.MaxBatch())
	return (n + size - 1) / size
}

func (w wrapped) PinnedCurrency(source string) string {
	if p, ok := w.Connector.(connector.CurrencyPinner); ok {
		return p.PinnedCurrency(source)
	}
	return ""
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
	_ connector.FieldReader    = wrapped{}
	_ connector.DeletionLister = wrapped{}
	_ connector.OrderRereader  = wrapped{}
	_ connector.WritePlanner   = wrapped{}
	_ connector.CurrencyPinner = wrapped{}
	_ connector.CallCounter    = wrapped{}
)
