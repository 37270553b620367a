-- Run by `revops sql` when Harlequin opens the serving file: never download an extension
-- (DuckDB would fetch a missing one from its repository on first use).
set autoinstall_known_extensions = false;
set TimeZone = 'UTC';
