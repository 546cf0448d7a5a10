package devaws

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// AssumeRoleRequest is one AssumeRole call that passed validation.
type AssumeRoleRequest struct {
	RoleARN, SessionName, ExternalID string
	DurationSeconds                  int
	Granted                          bool
}

// AddRole registers a role that AssumeRole will grant when called with
// externalID ("" = the trust policy requires none). Unknown roles and wrong
// external ids are refused with AccessDenied, as AWS does.
func (s *Server) AddRole(roleARN, externalID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roles[roleARN] = externalID
}

// AssumeRoleRequests returns the AssumeRole calls received, oldest first.
func (s *Server) AssumeRoleRequests() []AssumeRoleRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]AssumeRoleRequest(nil), s.assumes...)
}

func (s *Server) assumeRole(ctx context.Context, w http.ResponseWriter, caller identity, form url.Values) {
	req := AssumeRoleRequest{
		RoleARN: form.Get("RoleArn"), SessionName: form.Get("RoleSessionName"),
		ExternalID: form.Get("ExternalId"), DurationSeconds: 3600,
	}
	if v := form.Get("DurationSeconds"); v != "" {
		d, err := strconv.Atoi(v)
		if err != nil {
			sts.writeError(w, validation("DurationSeconds must be a number"))
			return
		}
		req.DurationSeconds = d
	}
	switch {
	case len(req.RoleARN) < 20 || len(req.RoleARN) > 2048:
		sts.writeError(w, validation("RoleArn must be 20 to 2048 characters"))
		return
	case !sessionNameOK(req.SessionName):
		sts.writeError(w, validation("RoleSessionName must match [\\w+=,.@-]{2,64}"))
		return
	case req.DurationSeconds < 900 || req.DurationSeconds > 3600:
		sts.writeError(w, validation("DurationSeconds must be between 900 and the role's maximum session duration (3600)"))
		return
	case form.Has("ExternalId") && (len(req.ExternalID) < 2 || len(req.ExternalID) > 1224):
		sts.writeError(w, validation("ExternalId must be 2 to 1224 characters"))
		return
	}

	granted, why := s.grant(ctx, req.RoleARN, req.ExternalID, form.Has("ExternalId"))
	s.mu.Lock()
	req.Granted = granted
	s.assumes = append(s.assumes, req)
	s.pruneSessionsLocked()
	var id identity
	var akid string
	if req.Granted {
		account, name := roleParts(req.RoleARN)
		akid = "ASIA" + strings.ToUpper(randHex(8))
		id = identity{
			arn:     "arn:aws:sts::" + account + ":assumed-role/" + name + "/" + req.SessionName,
			account: account,
			userID:  "AROA" + strings.ToUpper(randHex(8)) + ":" + req.SessionName,
			secret:  randToken(30),
			token:   randToken(96),
			expires: now().Add(time.Duration(req.DurationSeconds) * time.Second).Truncate(time.Second),
		}
		s.sessions[akid] = id
	}
	s.mu.Unlock()

	if !req.Granted {
		s.log.Info("AWS sandbox: AssumeRole denied", "role_arn", req.RoleARN, "why", why)
		sts.writeError(w, &wireError{status: http.StatusForbidden, code: "AccessDenied",
			message: "User: " + caller.arn + " is not authorized to perform: sts:AssumeRole on resource: " + req.RoleARN})
		return
	}
	var out assumeRoleResponse
	out.Result.Credentials = stsCredentials{
		AccessKeyID: akid, SecretAccessKey: id.secret, SessionToken: id.token,
		Expiration: id.expires.Format(time.RFC3339),
	}
	out.Result.AssumedRoleUser.Arn = id.arn
	out.Result.AssumedRoleUser.AssumedRoleID = id.userID
	out.RequestID = randHex(16)
	writeXML(w, http.StatusOK, out)
}

func (s *Server) getCallerIdentity(w http.ResponseWriter, caller identity) {
	var out callerIdentityResponse
	out.Result.Arn, out.Result.UserID, out.Result.Account = caller.arn, caller.userID, caller.account
	out.RequestID = randHex(16)
	writeXML(w, http.StatusOK, out)
}

type assumeRoleResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleResponse"`
	Result  struct {
		Credentials     stsCredentials `xml:"Credentials"`
		AssumedRoleUser struct {
			Arn           string `xml:"Arn"`
			AssumedRoleID string `xml:"AssumedRoleId"`
		} `xml:"AssumedRoleUser"`
	} `xml:"AssumeRoleResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

type stsCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type callerIdentityResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
	Result  struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	} `xml:"GetCallerIdentityResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

func validation(msg string) *wireError {
	return &wireError{status: http.StatusBadRequest, code: "ValidationError", message: msg}
}

// roleParts takes account and role name out of a registered role ARN.
func roleParts(arn string) (account, name string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 {
		account = parts[4]
	}
	return account, arn[strings.LastIndexByte(arn, '/')+1:]
}

func sessionNameOK(s string) bool {
	return len(s) >= 2 && roleNameOK(s)
}

func randToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
