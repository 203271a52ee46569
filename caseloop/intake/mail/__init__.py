"""Taking e-mail in: raw messages from IMAP mailboxes (`imap`) or files (`ingest`), each stored
before anything else happens and then processed by the e-mail channel's parser."""
