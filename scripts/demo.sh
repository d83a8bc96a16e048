#!/usr/bin/env bash
# A scripted round trip on a running devnet (scripts/devnet.sh --demo starts one and runs this):
# deposit ETH and a test token on L1, watch the relayer deliver them to L2, withdraw part of both,
# watch the output become final and the relayer pay them out on L1.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${DRAWBRIDGE_DEPLOYMENT:?set DRAWBRIDGE_DEPLOYMENT to the deployment.json of a running devnet}"
export DRAWBRIDGE_DEPLOYMENT
# anvil's well-known test account #4, funded by the devnet. Never use it anywhere else.
export DRAWBRIDGE_PRIVATE_KEY=0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a
user=0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65
drawbridge="$root/target/debug/drawbridge"
token="$(python3 -c 'import json,os; print(json.load(open(os.environ["DRAWBRIDGE_DEPLOYMENT"]))["l1"]["testToken"])')"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ drawbridge %s\n' "$*"; "$drawbridge" "$@"; }
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
# Waits until `drawbridge status <args> --json` reports the stage, showing the status meanwhile.
wait_for_stage() {
  local want="$1"; shift
  for _ in $(seq 1 120); do
    stage="$("$drawbridge" --json status "$@" | json_field "['stage']")"
    [ "$stage" = "$want" ] && { "$drawbridge" status "$@"; return 0; }
    sleep 1
  done
  echo "timed out waiting for stage $want" >&2
  "$drawbridge" status "$@"
  return 1
}

step "1. Deposit 1 ETH on L1 for the same address on L2"
run deposit --token eth --amount 1
eth_nonce="$("$drawbridge" --json status --address "$user" | json_field "['deposits'][-1]['nonce']")"

step "2. Deposit 250 test tokens (the CLI approves the bridge first)"
run deposit --token "$token" --amount 250
token_nonce=$((eth_nonce + 1))

step "3. The relayer commits the L1 root, publishes it on L2 and delivers both, each with a Merkle proof"
wait_for_stage delivered --deposit "$eth_nonce"
wait_for_stage delivered --deposit "$token_nonce"
run balance --address "$user"

step "4. Withdraw 0.25 ETH and 100 tokens on L2 (burned there, paid on L1 once an output is final)"
run withdraw --token eth --amount 0.25
run withdraw --token "$token" --amount 100

step "5. The relayer proposes an output; after its challenge window it finalizes both withdrawals"
w_last="$("$drawbridge" --json status --address "$user" | json_field "['withdrawals'][-1]['nonce']")"
wait_for_stage finalized --withdrawal "$((w_last - 1))"
wait_for_stage finalized --withdrawal "$w_last"

step "6. Where everything ended up"
run balance --address "$user"
run status --address "$user"
printf '\nRound trip complete.\n'
