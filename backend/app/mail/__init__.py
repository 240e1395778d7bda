"""E-mail: a record per message, rendered from templates, sent by the worker (`mail.send`)."""
