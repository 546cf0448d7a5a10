package reply

// SubjectTag returns the [request_id] tag of a subject ("" if none): the
// last bracketed valid id that is not a mail gateway's tag.
func SubjectTag(subject string) string { return subjectTag(subject) }
