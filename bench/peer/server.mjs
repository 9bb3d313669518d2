// @neo4j/graphql over the storage shape Common Ground writes (schema/README.md), served by
// Apollo Server the way its documentation starts one. The benchmark (bench/graphql_peer.py)
// sends both servers the same reads and compares the answers before it times anything.
//
// NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD: the database; PORT: where to listen.
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { Neo4jGraphQL } from "@neo4j/graphql";
import neo4j from "neo4j-driver";

const typeDefs = /* GraphQL */ `
  type Entity @node(labels: ["Entity"]) {
    id: ID!
    kind: String!
    name: String!
    description: String
    status: String
    created_at: DateTime
  }

  type Bearing @relationshipProperties {
    stance: String!
    strength: Float!
    magnitude: Int
  }

  type Proposition @node(labels: ["Proposition"]) {
    id: ID!
    relation: String!
    created_at: DateTime!
    subject: [Entity!]! @relationship(type: "SUBJECT", direction: OUT)
    object: [Entity!]! @relationship(type: "OBJECT", direction: OUT)
    evidence: [Evidence!]! @relationship(type: "BEARS_ON", direction: IN, properties: "Bearing")
  }

  type Evidence @node(labels: ["Evidence"]) {
    id: ID!
    source_type: String!
    summary: String
    source_ref: String
    observed_at: DateTime!
    recorded_at: DateTime!
    function: String
    bears: [Proposition!]! @relationship(type: "BEARS_ON", direction: OUT, properties: "Bearing")
  }
`;

const driver = neo4j.driver(
  process.env.NEO4J_URI,
  neo4j.auth.basic(process.env.NEO4J_USER || "neo4j", process.env.NEO4J_PASSWORD),
);
const neoSchema = new Neo4jGraphQL({ typeDefs, driver });
const server = new ApolloServer({ schema: await neoSchema.getSchema() });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(process.env.PORT || 4000), host: "127.0.0.1" },
});
console.log(`peer ready at ${url}`);
