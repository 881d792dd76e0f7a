"""Sharing agreements as code: which department reads which master register, which columns, why, and
until when; applied to Postgres as roles, views and grants; every change and read in an audit chain."""
