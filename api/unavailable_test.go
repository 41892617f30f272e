package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/herald-webhooks/herald/api"
	"github.com/herald-webhooks/herald/internal/devstack/devstacktest"
	"github.com/herald-webhooks/herald/starter"
)

func TestPostgreSQLDownIsA503(t *testing.T) {
	ctx := context.Background()
	pg, _ := devstacktest.Postgres(t)
	store := devstacktest.Store(t, pg, "herald")
	if _, err := store.CreateAPIKey(ctx, "test", adminKey); err != nil {
		t.Fatal(err)
	}
	srv := &api.Server{Store: store, Temporal: stack.Client, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Publisher: &starter.Publisher{Store: store, Temporal: stack.Client}}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/event-types", "/readyz"} {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+adminKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("GET %s with PostgreSQL down = %d: %s", path, resp.StatusCode, body)
		}
		if strings.HasPrefix(path, "/api") {
			var e struct{ Error struct{ Code string } }
			if json.Unmarshal(body, &e) != nil || e.Error.Code != "unavailable" {
				t.Fatalf("body %s", body)
			}
		}
	}
}
