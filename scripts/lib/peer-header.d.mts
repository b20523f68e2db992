export declare const PEER_HEADER: "x-portcullis-peer";
export declare function peerHeaderValue(key: string, address: string): string;
