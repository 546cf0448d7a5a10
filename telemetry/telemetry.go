// Package telemetry sets up OpenTelemetry tracing for `acctflow serve` from
// otel-go's standard environment: with OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set, spans are batched and exported
// over OTLP/HTTP; without it nothing is installed, otel's global tracer stays
// the no-op one and tracing costs next to nothing.
//
// What is traced, and how a trace crosses NATS and email, is the business of
// the packages that start spans (events, broker, effect, mailer,
// handlers/ingest, handlers/replies); this package only decides whether they
// are kept and where they go.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/acctflow/acctflow/secrets"
)

// DefaultServiceName is service.name unless OTEL_SERVICE_NAME (or
// service.name in OTEL_RESOURCE_ATTRIBUTES) says otherwise.
const DefaultServiceName = "acctflow"

// Environment variables this package reads itself; the exporter, the
// sampler (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG), the batch
// processor (OTEL_BSP_*) and the resource (OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES) read theirs in otel-go.
const (
	EnvEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	EnvProtocol       = "OTEL_EXPORTER_OTLP_PROTOCOL"
	EnvTracesProtocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	EnvExporter       = "OTEL_TRACES_EXPORTER"
	EnvSDKDisabled    = "OTEL_SDK_DISABLED"
)

// Enabled reports whether the environment asks for traces: an OTLP endpoint
// is set, the SDK is not disabled and the traces exporter is not "none".
func Enabled() bool {
	if strings.EqualFold(strings.TrimSpace(os.Getenv(EnvSDKDisabled)), "true") {
		return false
	}
	if strings.EqualFold(strings.TrimSpace(os.Getenv(EnvExporter)), "none") {
		return false
	}
	return os.Getenv(EnvEndpoint) != "" || os.Getenv(EnvTracesEndpoint) != ""
}

// Setup installs the global tracer provider when Enabled, and returns the
// function that flushes the spans still buffered and puts the previous
// provider back (serve calls it last, once everything has stopped). Without
// an endpoint it installs nothing and shutdown does nothing. A setting
// acctflow cannot honour (OTLP over gRPC, another exporter) is an error, not
// a silent fallback.
func Setup(ctx context.Context, log *slog.Logger) (shutdown func(context.Context) error, err error) {
	noop := func(context.Context) error { return nil }
	if !Enabled() {
		log.Debug("traces off: no OTEL_EXPORTER_OTLP_ENDPOINT")
		return noop, nil
	}
	if exp := strings.TrimSpace(os.Getenv(EnvExporter)); exp != "" && !strings.EqualFold(exp, "otlp") {
		return nil, fmt.Errorf("%s=%q: acctflow exports traces with otlp only (or none)", EnvExporter, exp)
	}
	for _, name := range []string{EnvTracesProtocol, EnvProtocol} {
		switch p := strings.TrimSpace(os.Getenv(name)); p {
		case "", "http/protobuf", "http/json":
		default:
			return nil, fmt.Errorf("%s=%q: acctflow exports traces over OTLP/HTTP only (http/protobuf or http/json)", name, p)
		}
	}
	for _, name := range []string{EnvTracesEndpoint, EnvEndpoint} {
		// The exporter would take a wrong one and fail every export.
		if e := strings.TrimSpace(os.Getenv(name)); e != "" {
			if u, err := url.Parse(e); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, fmt.Errorf("%s: want an http:// or https:// URL such as http://collector:4318, got %q", name, secrets.RedactURLs(e))
			}
		}
	}
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("traces: OTLP/HTTP exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", DefaultServiceName)),
		resource.WithTelemetrySDK(),
		resource.WithHost(),
		resource.WithFromEnv(), // last: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
	)
	if err != nil && res == nil {
		_ = exporter.Shutdown(ctx)
		return nil, fmt.Errorf("traces: resource: %w", err)
	}
	if err != nil {
		log.Warn("traces: part of the resource could not be detected", "err", err)
	}
	// The sampler comes from OTEL_TRACES_SAMPLER (default: parent-based,
	// always on), the batching from OTEL_BSP_*.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	prevProvider, prevHandler := otel.GetTracerProvider(), otel.GetErrorHandler()
	otel.SetTracerProvider(tp)
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		log.Warn("traces: export failed", "err", err)
	}))
	service := ""
	for _, kv := range res.Attributes() {
		if kv.Key == "service.name" {
			service = kv.Value.AsString()
		}
	}
	log.Info("traces exported over OTLP/HTTP", "endpoint", endpoint(), "service", service)
	return func(ctx context.Context) error {
		err := tp.Shutdown(ctx)
		otel.SetTracerProvider(prevProvider)
		otel.SetErrorHandler(prevHandler)
		if err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("traces: flushing: %w", err)
		}
		return nil
	}, nil
}

// endpoint is where spans go, for the log: without any user or password.
func endpoint() string {
	e := os.Getenv(EnvTracesEndpoint)
	if e == "" {
		e = os.Getenv(EnvEndpoint)
	}
	if u, err := url.Parse(e); err == nil {
		return u.Redacted()
	}
	return "(unparsable)"
}
