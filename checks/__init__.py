"""The built-in checks, one module per integration, each registered through the
`doctor.checks` entry-point group exactly as a third-party check would be."""
