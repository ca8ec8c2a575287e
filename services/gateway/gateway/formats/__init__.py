"""The data's formats in and out: the directory (CSV, HSDS, HXL), the commitment document."""
