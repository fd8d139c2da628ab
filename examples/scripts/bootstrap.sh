#!/bin/bash
# Runs once on first boot: a deploy user for the CI.
set -eu
id deploy >/dev/null 2>&1 || useradd --create-home --shell /bin/bash deploy
