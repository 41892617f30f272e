package devstack

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

func TestEmbeddedTemporal(t *testing.T) {
	ctx := context.Background()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	uiPort := l.Addr().(*net.TCPAddr).Port
	l.Close()
	tmp, err := StartTemporal(ctx, TemporalOptions{UIPort: uiPort,
		SearchAttributes: map[string]enumspb.IndexedValueType{"HeraldTestAttr": enumspb.INDEXED_VALUE_TYPE_KEYWORD}})
	if err != nil {
		t.Fatal(err)
	}
	defer tmp.Stop()
	c, err := client.Dial(client.Options{HostPort: tmp.Address(), Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	t.Run("the default namespace keeps closed workflows for at least 7 days", func(t *testing.T) {
		ns, err := c.WorkflowService().DescribeNamespace(ctx, describeDefault())
		if err != nil {
			t.Fatal(err)
		}
		if r := ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); r < 7*24*time.Hour {
			t.Fatalf("retention %v", r)
		}
	})

	t.Run("the custom search attributes are registered", func(t *testing.T) {
		sa, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
		if err != nil {
			t.Fatal(err)
		}
		if sa.GetCustomAttributes()["HeraldTestAttr"] != enumspb.INDEXED_VALUE_TYPE_KEYWORD {
			t.Fatalf("custom attributes %v", sa.GetCustomAttributes())
		}
	})

	t.Run("the Web UI serves its page and reads the server", func(t *testing.T) {
		for _, path := range []string{"/", "/api/v1/namespaces/default"} {
			resp, err := http.Get(tmp.UIURL() + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s = %d: %.200s", path, resp.StatusCode, body)
			}
			if path != "/" && !strings.Contains(string(body), `"default"`) {
				t.Fatalf("GET %s: %.300s", path, body)
			}
		}
	})
}

func describeDefault() *workflowservice.DescribeNamespaceRequest {
	return &workflowservice.DescribeNamespaceRequest{Namespace: "default"}
}
