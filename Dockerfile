FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY application application
COPY projections projections
COPY policies policies
COPY delivery delivery
COPY api api
COPY demo demo
RUN pip install --no-cache-dir .
USER nobody
ENTRYPOINT ["careledger"]
CMD ["scenario"]
