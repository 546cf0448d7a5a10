package mailer

// ReplyMailbox is the mailbox a request's reseller replies to: the region's
// support mailbox when its reply channel says so (EMEA, APAC, LATAM), else
// the workflow inbox (US, CA, and requests not routed yet). Build the
// Reply-To with ReplyAddress(key, requestID, ReplyMailbox(...)).
func ReplyMailbox(channel, supportMailbox, inbox string) string {
	if channel == ChannelSupportMailbox && supportMailbox != "" {
		return supportMailbox
	}
	return inbox
}

// ReplyPath is where a reseller's answer to a mail goes, as the mail data
// (ReplyChannel, SupportMailbox) and the Reply-To header want it: the
// mailbox named in the text ("" for the workflow inbox) and the tokenised
// reply address.
func ReplyPath(key []byte, requestID, channel, supportMailbox, inbox string) (textChannel, textMailbox, replyTo string, err error) {
	box := ReplyMailbox(channel, supportMailbox, inbox)
	replyTo, err = ReplyAddress(key, requestID, box)
	if err != nil {
		return "", "", "", err
	}
	if box == inbox {
		return ChannelWorkflowReply, "", replyTo, nil
	}
	return ChannelSupportMailbox, box, replyTo, nil
}
