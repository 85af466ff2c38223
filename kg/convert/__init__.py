"""Views and storage of a KnowledgeGraph: networkx, HeteroData, RDF, GraphML and a directory format."""
