// domain/guest/: what the running guest reports through its agent, parsed defensively (the guest is hostile). Pure;
// imports nothing. The only way in from outside this folder.
export * from './agent-replies.js';
export * from './agent-credentials.js';
