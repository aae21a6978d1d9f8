"""Actions: what an alert change does (result events, commands, notifications), queued and delivered."""
