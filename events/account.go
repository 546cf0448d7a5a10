package events

type AccountApproved struct {
	RequestID  string `json:"request_id"`
	ApprovedBy string `json:"approved_by,omitempty"`
	Note       string `json:"note,omitempty"`
	// Retry numbers an ops retry of a creation whose outcome was unknown
	// or failed; 0 for the first approval.
	Retry      int    `json:"retry,omitempty"`
	ApprovedAt string `json:"approved_at"`
}

func (AccountApproved) Subject() string { return SubjectApproved }
func (AccountApproved) Schema() string  { return "account-approved" }
func (e AccountApproved) Key() string   { return e.RequestID }

// Account creation methods.
const (
	MethodOrganizations = "organizations"
	MethodManual        = "manual"
)

type AccountCreated struct {
	RequestID       string `json:"request_id"`
	AccountID       string `json:"account_id"`
	AccountName     string `json:"account_name,omitempty"`
	Method          string `json:"method"`
	CreateRequestID string `json:"create_request_id,omitempty"`
	CreatedAt       string `json:"created_at"`
}

func (AccountCreated) Subject() string { return SubjectCreated }
func (AccountCreated) Schema() string  { return "account-created" }
func (e AccountCreated) Key() string   { return e.RequestID }

type AccountCreationFailed struct {
	RequestID          string `json:"request_id"`
	FailureReason      string `json:"failure_reason"`
	Explanation        string `json:"explanation,omitempty"`
	NewRootEmailNeeded bool   `json:"new_root_email_needed,omitempty"`
	CreateRequestID    string `json:"create_request_id,omitempty"`
	FailedAt           string `json:"failed_at"`
}

func (AccountCreationFailed) Subject() string { return SubjectCreationFailed }
func (AccountCreationFailed) Schema() string  { return "account-creation-failed" }
func (e AccountCreationFailed) Key() string   { return e.RequestID }

type RoleSubmitted struct {
	RequestID   string `json:"request_id"`
	RoleARN     string `json:"role_arn"`
	SubmittedBy string `json:"submitted_by,omitempty"`
	SubmittedAt string `json:"submitted_at"`
}

func (RoleSubmitted) Subject() string { return SubjectRoleSubmitted }
func (RoleSubmitted) Schema() string  { return "role-submitted" }
func (e RoleSubmitted) Key() string   { return e.RequestID }

type RoleValidated struct {
	RequestID   string `json:"request_id"`
	RoleARN     string `json:"role_arn"`
	AccountID   string `json:"account_id"`
	CallerARN   string `json:"caller_arn,omitempty"`
	ValidatedAt string `json:"validated_at"`
}

func (RoleValidated) Subject() string { return SubjectRoleValidated }
func (RoleValidated) Schema() string  { return "role-validated" }
func (e RoleValidated) Key() string   { return e.RequestID }

type RoleRejected struct {
	RequestID   string `json:"request_id"`
	RoleARN     string `json:"role_arn"`
	Reason      string `json:"reason"`
	Explanation string `json:"explanation"`
	RejectedAt  string `json:"rejected_at"`
}

func (RoleRejected) Subject() string { return SubjectRoleRejected }
func (RoleRejected) Schema() string  { return "role-rejected" }
func (e RoleRejected) Key() string   { return e.RequestID }

// Support plan groups used for billing.
const (
	GroupPassthrough     = "passthrough"
	GroupBusinessSupport = "business-support"
)

type SupportGroupAssigned struct {
	RequestID  string `json:"request_id"`
	AccountID  string `json:"account_id,omitempty"`
	Group      string `json:"group"`
	AssignedBy string `json:"assigned_by,omitempty"`
	AssignedAt string `json:"assigned_at"`
}

func (SupportGroupAssigned) Subject() string { return SubjectSupportGroupAssigned }
func (SupportGroupAssigned) Schema() string  { return "support-group-assigned" }
func (e SupportGroupAssigned) Key() string   { return e.RequestID }

type SupportGroupMissing struct {
	RequestID     string `json:"request_id"`
	AccountID     string `json:"account_id,omitempty"`
	Region        string `json:"region,omitempty"`
	ExpectedGroup string `json:"expected_group"`
	Cause         string `json:"cause"`
	DetectedAt    string `json:"detected_at"`
}

func (SupportGroupMissing) Subject() string { return SubjectSupportGroupMissing }
func (SupportGroupMissing) Schema() string  { return "support-group-missing" }
func (e SupportGroupMissing) Key() string   { return e.RequestID }
