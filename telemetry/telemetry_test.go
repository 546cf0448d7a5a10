package telemetry_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/acctflow/acctflow/telemetry"
)

func clean(t *testing.T) {
	for _, k := range []string{telemetry.EnvEndpoint, telemetry.EnvTracesEndpoint, telemetry.EnvProtocol, telemetry.EnvTracesProtocol, telemetry.EnvExporter, telemetry.EnvSDKDisabled} {
		t.Setenv(k, "")
	}
}

func TestEnabledOnlyWithAnEndpoint(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, false},
		{map[string]string{"OTEL_SERVICE_NAME": "x", "OTEL_TRACES_SAMPLER": "always_on"}, false},
		{map[string]string{telemetry.EnvEndpoint: "http://127.0.0.1:4318"}, true},
		{map[string]string{telemetry.EnvTracesEndpoint: "http://127.0.0.1:4318/v1/traces"}, true},
		{map[string]string{telemetry.EnvEndpoint: "http://127.0.0.1:4318", telemetry.EnvSDKDisabled: "true"}, false},
		{map[string]string{telemetry.EnvEndpoint: "http://127.0.0.1:4318", telemetry.EnvExporter: "none"}, false},
	} {
		clean(t)
		for k, v := range c.env {
			t.Setenv(k, v)
		}
		if got := telemetry.Enabled(); got != c.want {
			t.Errorf("%v: Enabled() = %v", c.env, got)
		}
	}
}

// Settings acctflow cannot honour stop serve at start-up rather than
// silently exporting nothing.
func TestSetupRefusesWhatItCannotDo(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, c := range []struct{ k, v, want string }{
		{telemetry.EnvProtocol, "grpc", "OTLP/HTTP only"},
		{telemetry.EnvTracesProtocol, "grpc", "OTLP/HTTP only"},
		{telemetry.EnvExporter, "zipkin", "otlp only"},
	} {
		clean(t)
		t.Setenv(telemetry.EnvEndpoint, "http://127.0.0.1:4318")
		t.Setenv(c.k, c.v)
		if _, err := telemetry.Setup(context.Background(), log); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s=%s: %v", c.k, c.v, err)
		}
	}
	for _, c := range []struct{ k, v string }{
		{telemetry.EnvEndpoint, "collector:4318"},
		{telemetry.EnvEndpoint, "htp://collector:4318"},
		{telemetry.EnvTracesEndpoint, "http://"},
		{telemetry.EnvTracesEndpoint, "http://[::1"},
	} {
		clean(t)
		t.Setenv(c.k, c.v)
		if _, err := telemetry.Setup(context.Background(), log); err == nil || !strings.Contains(err.Error(), "want an http:// or https:// URL") {
			t.Errorf("%s=%s: %v", c.k, c.v, err)
		}
	}
	clean(t)
	stop, err := telemetry.Setup(context.Background(), log)
	if err != nil || stop(context.Background()) != nil {
		t.Fatalf("without an endpoint: %v", err)
	}
}
