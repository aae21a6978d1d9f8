"""Control: the one thread that turns analysed frames and sensor readings into alert changes and actions."""
