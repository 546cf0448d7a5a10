package faults

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// recover is ops following the alert "account creation needs a look": the
// process that called CreateAccount died before storing the outcome. Ops
// look in Organizations; if the call reached AWS they record that account,
// otherwise they create it by hand (one call either way), then record it.
func (f *flow) recover(ctx context.Context, i int) error {
	alerted := false
	for _, raw := range f.w.mail().Messages(opsMailbox) {
		m := readMail(raw)
		if strings.HasPrefix(m.kind(), "ops_alert.unknown") && strings.Contains(m.text, reqID(i)) {
			alerted = true
			break
		}
	}
	if !alerted {
		return nil
	}
	orgs := organizations.NewFromConfig(f.w.aws.Config())
	carID := ""
	for _, c := range f.w.aws.CreateRequests() {
		if strings.EqualFold(c.Email, rootEmail(i)) {
			carID = c.ID
		}
	}
	if carID == "" {
		out, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{
			Email: sdkaws.String(rootEmail(i)), AccountName: sdkaws.String(fmt.Sprint("Fault ", i))})
		if err != nil {
			return fmt.Errorf("ops creating the account by hand: %w", err)
		}
		carID = sdkaws.ToString(out.CreateAccountStatus.Id)
	}
	var account string
	err := waitFor(ctx, 200*time.Millisecond, func() error {
		out, err := orgs.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: sdkaws.String(carID)})
		if err != nil {
			return err
		}
		if out.CreateAccountStatus.State != orgtypes.CreateAccountStateSucceeded {
			return fmt.Errorf("creation %s is %s", carID, out.CreateAccountStatus.State)
		}
		account = sdkaws.ToString(out.CreateAccountStatus.AccountId)
		return nil
	})
	if err != nil {
		return err
	}
	if err := f.post(ctx, "/v1/requests/"+reqID(i)+"/account", fmt.Sprintf(`{"account_id":%q}`, account)); err != nil {
		return err
	}
	f.state[i].recovered = true
	f.w.t.Logf("%s: ops recovered the creation after the alert (account %s)", reqID(i), account)
	return nil
}

// post sends an ops command to one of the APIs, moving on to the next
// when one does not answer. 409 (the stage moved on) counts as done: the
// command took effect earlier.
func (f *flow) post(ctx context.Context, path, body string) error {
	var last error
	for range len(f.w.apis) {
		base := f.w.apis[f.api%len(f.w.apis)]
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := f.http.Do(req)
		if err != nil {
			last = err
			f.api++
			continue
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		switch {
		case resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusConflict:
			return nil
		case resp.StatusCode >= 500:
			last = fmt.Errorf("POST %s: %s: %s", path, resp.Status, bytes.TrimSpace(b))
			f.api++
			continue
		default:
			return fmt.Errorf("POST %s: %s: %s", path, resp.Status, bytes.TrimSpace(b))
		}
	}
	return last
}
