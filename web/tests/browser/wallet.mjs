// An injected test wallet: an EIP-1193 provider announced through EIP-6963 that forwards every
// request to the anvil RPC of its current chain. Anvil's dev accounts are unlocked, so
// eth_sendTransaction works without keys. Installed with page.addInitScript(installTestWallet, cfg)
// before any page script runs; `window.__testWallet` lets a test switch account or chain from
// outside, as a user would in a real wallet.
//   cfg = { accounts: ['0x…'], chainId: 900, rpc: { 900: 'http://…', 901: 'http://…' }, name }
export function installTestWallet(cfg) {
  const listeners = {};
  let chainId = cfg.chainId;
  let accounts = cfg.accounts.slice();
  // Like a real wallet, remember per origin that the site was allowed to see the accounts.
  const PERMISSION = '__testWallet.connected';
  let connected = localStorage.getItem(PERMISSION) === '1';
  const setConnected = (v) => {
    connected = v;
    if (v) localStorage.setItem(PERMISSION, '1');
    else localStorage.removeItem(PERMISSION);
  };
  let id = 0;
  const hex = (n) => '0x' + n.toString(16);
  const emit = (event, value) => (listeners[event] || []).slice().forEach((fn) => fn(value));
  const rpcError = (code, message, data) => Object.assign(new Error(message), { code, data });

  async function forward(method, params) {
    const url = cfg.rpc[chainId];
    if (!url) throw rpcError(4901, `test wallet: no RPC for chain ${chainId}`);
    let response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params: params ?? [] }),
      });
    } catch (e) {
      throw rpcError(-32603, `test wallet: ${url} unreachable: ${e.message}`);
    }
    const body = await response.json();
    if (body.error) throw rpcError(body.error.code, body.error.message, body.error.data);
    return body.result;
  }

  const provider = {
    isTestWallet: true,
    async request({ method, params }) {
      switch (method) {
        case 'eth_requestAccounts':
          setConnected(true);
          return accounts.slice();
        case 'eth_accounts':
          return connected ? accounts.slice() : [];
        case 'eth_chainId':
          return hex(chainId);
        case 'net_version':
          return String(chainId);
        case 'wallet_requestPermissions':
          setConnected(true);
          return [{ parentCapability: 'eth_accounts' }];
        case 'wallet_getPermissions':
          return connected ? [{ parentCapability: 'eth_accounts' }] : [];
        case 'wallet_revokePermissions':
          setConnected(false);
          return null;
        case 'wallet_addEthereumChain':
          return null;
        case 'wallet_switchEthereumChain': {
          const next = parseInt(params[0].chainId, 16);
          if (!cfg.rpc[next]) throw rpcError(4902, `Unrecognized chain ${next}`);
          if (next !== chainId) {
            chainId = next;
            emit('chainChanged', hex(next));
          }
          return null;
        }
        case 'eth_sendTransaction': {
          const tx = { ...params[0] };
          if (!connected || !accounts.map((a) => a.toLowerCase()).includes(String(tx.from).toLowerCase()))
            throw rpcError(4100, 'test wallet: unknown or unauthorized sender');
          // A wallet fills chain id itself: drop the field anvil might refuse on another chain.
          delete tx.chainId;
          window.__testWallet.sent.push({ chainId, method, to: tx.to });
          return forward(method, [tx]);
        }
        default:
          return forward(method, params);
      }
    },
    on(event, fn) {
      (listeners[event] = listeners[event] || []).push(fn);
      return provider;
    },
    removeListener(event, fn) {
      listeners[event] = (listeners[event] || []).filter((f) => f !== fn);
      return provider;
    },
  };

  const info = Object.freeze({
    uuid: '5b3c2a47-6c9e-4f61-9c55-3c1f0e8f2a01',
    name: cfg.name || 'Drawbridge Test Wallet',
    icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 8 8'%3E%3Crect width='8' height='8' fill='%23777'/%3E%3C/svg%3E",
    rdns: 'dev.drawbridge.testwallet',
  });
  const announce = () =>
    window.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail: Object.freeze({ info, provider }) }));
  window.addEventListener('eip6963:requestProvider', announce);
  announce();

  window.__testWallet = {
    sent: [],
    get chainId() {
      return chainId;
    },
    switchAccount(address) {
      accounts = [address];
      emit('accountsChanged', accounts.slice());
    },
    switchChain(next) {
      chainId = next;
      emit('chainChanged', hex(next));
    },
  };
}
