"""NETCONF protocol layer shared by controller and agent (SSH, framing, sessions, NACM)."""
