package tenantotel_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/gorm"
	otelgorm "gorm.io/plugin/opentelemetry/tracing"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	tenantotel "github.com/tenantrouter/tenantplugin/otel"
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// spanAttrs returns a span's attributes of the package's keys.
func spanAttrs(s sdktrace.ReadOnlySpan) map[attribute.Key]string {
	out := map[attribute.Key]string{}
	for _, kv := range s.Attributes() {
		switch kv.Key {
		case tenantotel.TenantKey, tenantotel.RouteKey, tenantotel.AliasKey:
			out[kv.Key] = kv.Value.String()
		}
	}
	return out
}

// TestTracingNextToOtelPlugin installs gorm.io/plugin/opentelemetry and
// Tracing, in both orders, and runs statements of every processor for a
// tenant and for the reserved default, and a refused one: each statement's
// own span (not the request's around them) carries the tenant and the
// route.
func TestTracingNextToOtelPlugin(t *testing.T) {
	for _, otelFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("otelFirst=%v", otelFirst), func(t *testing.T) {
			e := fixture.New(t, fixture.SQLite, fixture.Options{
				Tenants:    1,
				Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &Plan{})},
				Gorm:       gorm.Config{SkipDefaultTransaction: true},
			})
			if err := e.DB.WithContext(e.Ctx("t00")).AutoMigrate(&Note{}); err != nil {
				t.Fatal(err)
			}
			if err := e.DB.AutoMigrate(&Plan{}); err != nil {
				t.Fatal(err)
			}
			sr := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
			defer func() { _ = tp.Shutdown(context.Background()) }()
			plugins := []gorm.Plugin{otelgorm.NewPlugin(otelgorm.WithTracerProvider(tp), otelgorm.WithoutMetrics()), tenantotel.Tracing()}
			if !otelFirst {
				plugins[0], plugins[1] = plugins[1], plugins[0]
			}
			for _, p := range plugins {
				if err := e.DB.Use(p); err != nil {
					t.Fatal(err)
				}
			}

			ctx, req := tp.Tracer("test").Start(e.Ctx("t00"), "request")
			db := e.DB.WithContext(ctx)
			var (
				notes []Note
				plans []Plan
				n     int64
			)
			tenantRoute := map[attribute.Key]string{tenantotel.TenantKey: "t00", tenantotel.RouteKey: "tenant"}
			centralRoute := map[attribute.Key]string{tenantotel.TenantKey: "t00", tenantotel.RouteKey: "reserved", tenantotel.AliasKey: "default"}
			steps := []struct {
				name string
				run  func() error
				want map[attribute.Key]string
			}{
				{"create", func() error { return db.Create(&Note{Body: "a"}).Error }, tenantRoute},
				{"query", func() error { return db.Find(&notes).Error }, tenantRoute},
				{"update", func() error { return db.Model(&Note{}).Where("id > 0").Update("body", "b").Error }, tenantRoute},
				{"row", func() error { return db.Raw("SELECT count(*) FROM notes").Row().Scan(&n) }, tenantRoute},
				{"raw", func() error { return db.Exec("UPDATE notes SET body = 'c'").Error }, tenantRoute},
				{"delete", func() error { return db.Where("id > 0").Delete(&Note{}).Error }, tenantRoute},
				{"reserved", func() error { return db.Find(&plans).Error }, centralRoute},
				{"reserved.Use", func() error {
					return db.Clauses(reserved.Use(tenantplugin.DefaultAlias)).Raw("SELECT 1").Scan(&n).Error
				}, centralRoute},
				{"in a transaction", func() error {
					return db.Transaction(func(tx *gorm.DB) error { return tx.Find(&notes).Error })
				}, tenantRoute},
				{"refused: no tenant", func() error {
					err := e.DB.WithContext(trace.ContextWithSpan(context.Background(), req)).Find(&notes).Error
					if !errors.Is(err, tenant.ErrMissing) {
						return fmt.Errorf("want ErrMissing, got %w", err)
					}
					return nil
				}, map[attribute.Key]string{}},
				{"refused: invalid tenant", func() error {
					err := e.DB.WithContext(tenant.NewContext(ctx, "a/b")).Find(&notes).Error
					if !errors.Is(err, tenant.ErrInvalidID) {
						return fmt.Errorf("want ErrInvalidID, got %w", err)
					}
					return nil
				}, map[attribute.Key]string{}},
			}
			for _, st := range steps {
				before := len(sr.Ended())
				if err := st.run(); err != nil {
					t.Fatalf("%s: %v", st.name, err)
				}
				ended := sr.Ended()[before:]
				if len(ended) != 1 {
					t.Fatalf("%s: %d spans ended, want the statement's one", st.name, len(ended))
				}
				span := ended[0]
				if span.Parent().SpanID() != req.SpanContext().SpanID() {
					t.Errorf("%s: span %q is not the request's child", st.name, span.Name())
				}
				if got := spanAttrs(span); fmt.Sprint(got) != fmt.Sprint(st.want) {
					t.Errorf("%s: span %q has %v, want %v", st.name, span.Name(), got, st.want)
				}
			}
			req.End()
			ended := sr.Ended()
			if last := ended[len(ended)-1]; last.Name() != "request" || len(spanAttrs(last)) != 0 {
				t.Errorf("request span %q has %v, want no tenant attribute", last.Name(), spanAttrs(last))
			}
		})
	}
}

// TestTracingWithoutStatementSpans: without a plugin that starts a span
// per statement, the span in the context (the caller's) gets the tenant;
// a span that does not record gets nothing and costs nothing.
func TestTracingWithoutStatementSpans(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 1})
	if err := e.DB.Use(tenantotel.Tracing()); err != nil {
		t.Fatal(err)
	}
	if err := e.DB.WithContext(e.Ctx("t00")).AutoMigrate(&Note{}); err != nil {
		t.Fatal(err)
	}
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	ctx, req := tp.Tracer("test").Start(e.Ctx("t00"), "request")
	var notes []Note
	if err := e.DB.WithContext(ctx).Find(&notes).Error; err != nil {
		t.Fatal(err)
	}
	req.End()
	if got := spanAttrs(sr.Ended()[0]); fmt.Sprint(got) != fmt.Sprint(map[attribute.Key]string{tenantotel.TenantKey: "t00", tenantotel.RouteKey: "tenant"}) {
		t.Errorf("request span has %v", got)
	}

	// Not sampled: not recording, nothing recorded.
	never := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()), sdktrace.WithSpanProcessor(sr))
	defer func() { _ = never.Shutdown(context.Background()) }()
	ctx, span := never.Tracer("test").Start(e.Ctx("t00"), "request")
	db := e.DB.WithContext(ctx)
	allocs := testing.AllocsPerRun(100, func() { tenantotel.LabelSpanForTest(db) })
	span.End()
	if allocs != 0 || len(sr.Ended()) != 1 {
		t.Errorf("not recording: %v allocations, %d spans recorded", allocs, len(sr.Ended()))
	}
}

// TestTracingTwiceChangesNothing: the callback is registered once.
func TestTracingTwiceChangesNothing(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 1})
	if err := tenantotel.Tracing().Initialize(e.DB); err != nil {
		t.Fatal(err)
	}
	if err := tenantotel.Tracing().Initialize(e.DB); err != nil {
		t.Fatal(err)
	}
	if e.DB.Callback().Query().Get(tenantotel.TracingName) == nil {
		t.Fatal("callback not registered")
	}
}
