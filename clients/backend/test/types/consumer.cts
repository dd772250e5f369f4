// Compiled (not run) by types.test.mjs: the CommonJS build's declarations.
import backend = require("ecb-backend");

const tokens: backend.TokenSigner = new backend.TokenSigner({ keys: { kid: "k", privateKey: "pem" } });
const token: string = tokens.serverToken();
const handler: backend.BackendHandler = backend.backendHandler({ tokens });
void [token, handler];
