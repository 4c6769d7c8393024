// Mint a Sanxiang actor token with Node.js alone (built-in `crypto`, no packages):
// a JWT signed with EdDSA (Ed25519) by the token issuer's private key.
//
//   node mint-token.mjs --key token.ed25519.pem --sub 0017 --role officer \
//        --agency lingchuan-emergency [--name 李明] [--party party-1 --case <case id>] [--ttl 3600]
//
// prints the token; send it as the AMQP header `nameko.actor_token` of each RPC request.
import { createPrivateKey, createPublicKey, createHash, sign } from "node:crypto";
import { readFileSync } from "node:fs";

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
}
for (const required of ["key", "sub", "role", "agency"]) {
  if (!args[required]) throw new Error(`--${required} is required`);
}

const privateKey = createPrivateKey(readFileSync(args.key));      // PKCS#8 PEM, Ed25519
// kid: the first 16 hex digits of the SHA-256 of the raw 32-byte public key — the name of
// the public key file (public/token/<kid>.pem) the services verify the token with
const rawPublic = Buffer.from(createPublicKey(privateKey).export({ format: "jwk" }).x, "base64url");
const kid = createHash("sha256").update(rawPublic).digest("hex").slice(0, 16);

const now = Math.floor(Date.now() / 1000);
const claims = {
  iss: "sanxiang",            // the services' TOKEN_ISSUER (default "sanxiang")
  sub: args.sub,              // actor id, 1..64 characters
  role: args.role,            // officer, head, legal_unit, reviewer, publisher, supervisor, party, public
  agency: args.agency,        // the agency the actor acts for
  name: args.name ?? "",
  iat: now,
  exp: now + Number(args.ttl ?? 3600),
};
if (args.party) claims.party = args.party;  // role party: both party and case are required
if (args.case) claims.case = args.case;

const b64url = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
const signingInput = `${b64url({ alg: "EdDSA", typ: "JWT", kid })}.${b64url(claims)}`;
// Ed25519 takes no digest algorithm: the first argument of crypto.sign is null
const signature = sign(null, Buffer.from(signingInput), privateKey);
console.log(`${signingInput}.${signature.toString("base64url")}`);
